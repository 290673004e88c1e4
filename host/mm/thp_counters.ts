/**
 * Memory in THPs and mTHPs by size, under the names of the kernel's tools/mm/thpmaps
 * (`anon-thp-pmd-aligned-2048kB`, `anon-thp-pte-aligned-64kB`): what smaps'
 * AnonHugePages leaves out, since it counts PMD-mapped THPs only.
 */
import { folioOrder, pteNormal } from "../core/pte.ts";
import type { Mm } from "./mm.ts";
import { entryTable } from "./page_table.ts";
import { pteWord } from "./pte_ops.ts";

/** thpmaps' counter of folios of `order` (1 … 9), by how they are mapped and whether they are naturally aligned. */
export function thpCounterName(kind: "anon" | "file", pmdMapped: boolean, aligned: boolean, order: number): string {
  return `${kind}-thp-${pmdMapped ? "pmd" : "pte"}-${aligned ? "aligned" : "unaligned"}-${4 << order}kB`;
}

/** `counters` with its names in thpmaps' order: by mapping, alignment, then size. */
export function sortThpCounters(counters: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counters).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })));
}

/**
 * thpmaps' counters of `mm` in kB, non-zero only: PMD-mapped THPs and PTE-mapped folios
 * of order 1 and up (the zero page aside). The model's folios are naturally aligned
 * (PhysMem hands out aligned blocks and nothing moves a mapping), so every one counts as aligned.
 */
export function thpCountersKb(mm: Mm): Record<string, number> {
  const out: Record<string, number> = mm.huge.size > 0 ? { [thpCounterName("anon", true, true, 9)]: mm.huge.size * 2048 } : {};
  // Pages of PTE-mapped folios by order.
  const byOrder = new Float64Array(10);
  const u32 = mm.pt.core.u32, entries = mm.pt.entries();
  for (let e = 0; e < entries.length; e++) {
    const t = entryTable(entries[e]);
    if (t === 0) continue;
    for (let j = 0; j < 512; j++) {
      const lo = u32[pteWord(t, j)];
      if (pteNormal(lo)) byOrder[folioOrder(lo)]++;
    }
  }
  for (let o = 1; o <= 9; o++) if (byOrder[o] > 0) out[thpCounterName("anon", false, true, o)] = byOrder[o] * 4;
  return sortThpCounters(out);
}
