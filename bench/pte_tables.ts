/**
 * PMD directories with real PTE tables for the TLB benches: the TLB loop reads a 4 KiB
 * page's PTE group on every access (PTE coalescing), so a bench region's tables must
 * hold PTEs, and the native twin (bench/native/tlb.c) must read the same words.
 */
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD, PTE, PTE_TABLE_BYTES, PTES_PER_PMD } from "../host/core/layout.ts";

/**
 * How a table's frames run: `scattered`, three apart (no group coalesces, as in a
 * sequentially faulted region of a running kernel, where few do), or `contiguous` from
 * an aligned frame (every group coalesces on a TLB that coalesces).
 */
export type Frames = "scattered" | "contiguous";

/** A directory of `pmds` entries, entry i a 2 MiB page where `huge(i)`, else a PTE table of present, writable PTEs. */
export function benchDirectory(memory: CoreMemory, pmds: number, huge: (i: number) => boolean, frames: Frames): number {
  const dir = memory.alloc(pmds * 4, 64);
  for (let i = 0; i < pmds; i++) {
    if (huge(i)) {
      memory.u32[(dir >>> 2) + i] = PMD.HUGE | i;
      continue;
    }
    const table = memory.allocTable();
    const w = table >>> 2;
    for (let p = 0; p < PTES_PER_PMD; p++) {
      const page = i * PTES_PER_PMD + p;
      memory.u32[w + 2 * p] = PTE.PRESENT | PTE.WRITE | PTE.YOUNG | PTE.DIRTY | PTE.FOLIO_ANON;
      memory.u32[w + 2 * p + 1] = frames === "scattered" ? 3 * page + 1 : page + 4096;
    }
    memory.u32[(dir >>> 2) + i] = table / PTE_TABLE_BYTES;
  }
  return dir;
}

/** The native twin's PTES file for the first `entries` entries of the directory at `dir`: 512 PTEs each, zeros for a 2 MiB entry. */
export function pteFile(memory: CoreMemory, dir: number, entries: number): Uint8Array {
  const out = new Uint8Array(entries * PTE_TABLE_BYTES);
  for (let i = 0; i < entries; i++) {
    const e = memory.u32[(dir >>> 2) + i];
    if ((e & PMD.HUGE) !== 0) continue;
    const table = (e & PMD.INDEX_MASK) * PTE_TABLE_BYTES;
    out.set(new Uint8Array(memory.memory.buffer, table, PTE_TABLE_BYTES), i * PTE_TABLE_BYTES);
  }
  return out;
}
