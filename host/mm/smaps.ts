/** Per-task figures in the style of /proc/PID/smaps_rollup, in kB. */
import { PTE } from "../core/layout.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord } from "./pte_ops.ts";

export interface SmapsRollup {
  Rss: number;
  AnonHugePages: number;
  LazyFree: number;
  Swap: number;
}

/**
 * smaps_rollup's AnonHugePages alone: PMD-mapped THPs only, so no PTE table is read
 * (cheap on a terabyte synthetic map).
 */
export function anonHugePagesKb(mm: Mm): number {
  return mm.huge.size * 2048;
}

/** Walk the mm's page tables and sum what smaps_rollup reports. */
export function smapsRollup(mm: Mm): SmapsRollup {
  const out: SmapsRollup = { Rss: 0, AnonHugePages: 0, LazyFree: 0, Swap: 0 };
  for (const h of mm.huge.values()) {
    out.Rss += 2048;
    out.AnonHugePages += 2048;
    if (!h.swapbacked) out.LazyFree += 2048;
  }
  const pt = mm.pt;
  const u32 = pt.core.u32;
  // A synthetic map's alike PMDs share a table: sum each table once, add it per PMD.
  const byTable = new Map<number, TableSums>();
  for (let i = 0; i < pt.length; i++) {
    const t = pt.table(pt.basePmd + i);
    if (t === 0) continue;
    let s = byTable.get(t);
    if (!s) byTable.set(t, s = tableSums(u32, t));
    out.Rss += s.Rss;
    out.LazyFree += s.LazyFree;
    out.Swap += s.Swap;
  }
  return out;
}

type TableSums = Omit<SmapsRollup, "AnonHugePages">;

function tableSums(u32: Uint32Array, t: number): TableSums {
  const s: TableSums = { Rss: 0, LazyFree: 0, Swap: 0 };
  for (let j = 0; j < 512; j++) {
    const lo = u32[pteWord(t, j)];
    if (lo === 0) continue;
    if ((lo & PTE.PRESENT) === 0) {
      if ((lo & PTE.SWAP) !== 0) s.Swap += 4;
      continue;
    }
    // The zero page is not counted in Rss.
    if (!isNormalPage(lo)) continue;
    s.Rss += 4;
    if ((lo & (PTE.FOLIO_ANON | PTE.FOLIO_SWAPBACKED)) === PTE.FOLIO_ANON) s.LazyFree += 4;
  }
  return s;
}
