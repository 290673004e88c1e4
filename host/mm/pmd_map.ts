/**
 * A task's address space as one state per 2 MiB range: what a picture of khugepaged's
 * work needs (is this PMD huge yet, is it lazy-free, was it swapped out). Read from the
 * page tables the way smaps.ts reads them.
 */
import { PTE } from "../core/layout.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord } from "./pte_ops.ts";
import { PMD_SIZE } from "./vma.ts";

/**
 * PMD states, by their index in a map. A PTE-mapped PMD takes the state most of its
 * 512 entries have (4 KiB pages, lazy-free pages or swap entries; ties go to the
 * earlier name); one with none of them is empty.
 */
export const PMD_STATES = ["empty", "small", "lazyfree", "swapped", "huge", "huge-lazyfree"] as const;
export type PmdState = (typeof PMD_STATES)[number];

export const PMD_EMPTY = 0;
export const PMD_SMALL = 1;
export const PMD_LAZYFREE = 2;
export const PMD_SWAPPED = 3;
export const PMD_HUGE = 4;
export const PMD_HUGE_LAZYFREE = 5;

/** The PMD numbers (address >> 21) that some VMA of `mm` overlaps, in address order. */
export function mappedPmds(mm: Mm): number[] {
  const out: number[] = [];
  for (const v of mm.vmas) {
    const first = Math.floor(v.start / PMD_SIZE), end = Math.ceil(v.end / PMD_SIZE);
    // Adjacent VMAs may share their boundary PMD; list it once.
    for (let p = Math.max(first, (out.at(-1) ?? -1) + 1); p < end; p++) out.push(p);
  }
  return out;
}

/** The state of one PMD of `mm` (an index into PMD_STATES). */
export function pmdState(mm: Mm, pmdNo: number, byTable?: Map<number, number>): number {
  const h = mm.huge.get(pmdNo);
  if (h) return h.swapbacked ? PMD_HUGE : PMD_HUGE_LAZYFREE;
  const t = mm.pt.table(pmdNo);
  if (t === 0) return PMD_EMPTY;
  let state = byTable?.get(t);
  if (state === undefined) {
    state = tableState(mm.pt.core.u32, t);
    byTable?.set(t, state);
  }
  return state;
}

/** The state of the PTE table at byte offset `t`. */
function tableState(u32: Uint32Array, t: number): number {
  let small = 0, lazy = 0, swapped = 0;
  for (let i = 0; i < 512; i++) {
    const lo = u32[pteWord(t, i)];
    if (lo === 0) continue;
    if ((lo & PTE.PRESENT) === 0) {
      if ((lo & PTE.SWAP) !== 0) swapped++;
    } else if (isNormalPage(lo)) {
      // Lazy-free is anonymous and not swap-backed (folio_test_lazyfree()).
      if ((lo & (PTE.FOLIO_ANON | PTE.FOLIO_SWAPBACKED)) === PTE.FOLIO_ANON) lazy++;
      else small++;
    }
  }
  if (small + lazy + swapped === 0) return PMD_EMPTY;
  if (small >= lazy && small >= swapped) return PMD_SMALL;
  return lazy >= swapped ? PMD_LAZYFREE : PMD_SWAPPED;
}

/** The state of every PMD that a VMA of `mm` overlaps, in address order (see mappedPmds()). */
export function pmdMap(mm: Mm): Uint8Array {
  const pmds = mappedPmds(mm);
  const out = new Uint8Array(pmds.length);
  // A synthetic map's alike PMDs share a table: read each table once.
  const byTable = new Map<number, number>();
  for (let i = 0; i < pmds.length; i++) out[i] = pmdState(mm, pmds[i], byTable);
  return out;
}
