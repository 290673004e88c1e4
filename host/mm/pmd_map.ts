/**
 * A task's address space as one state per 2 MiB range: what a picture of khugepaged's
 * work needs (is this PMD huge yet, is it lazy-free, was it swapped out). Read from the
 * page tables through smaps.ts's per-table counts.
 */
import type { Mm } from "./mm.ts";
import { isLazyfreeHuge, type TableCache, tableCounts } from "./smaps.ts";
import { PMD_SIZE } from "./vma.ts";

/**
 * PMD states, by their index in a map. A PTE-mapped PMD takes the state most of its
 * 512 entries have (4 KiB pages, lazy-free pages or swap entries; ties go to the
 * earlier name); one with none of them is empty.
 */
export const PMD_STATES = ["empty", "small", "lazyfree", "swapped", "huge", "huge-lazyfree"] as const;
export type PmdState = (typeof PMD_STATES)[number];

const STATE_EMPTY = 0;
const STATE_SMALL = 1;
const STATE_LAZYFREE = 2;
const STATE_SWAPPED = 3;
const STATE_HUGE = 4;
const STATE_HUGE_LAZYFREE = 5;

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
export function pmdState(mm: Mm, pmdNo: number, byTable?: TableCache): number {
  const h = mm.huge.get(pmdNo);
  if (h) return isLazyfreeHuge(h) ? STATE_HUGE_LAZYFREE : STATE_HUGE;
  const t = mm.pt.table(pmdNo);
  if (t === 0) return STATE_EMPTY;
  const { normal, lazy, swapped } = tableCounts(mm.pt.core.u32, t, byTable);
  if (normal + swapped === 0) return STATE_EMPTY;
  const small = normal - lazy;
  if (small >= lazy && small >= swapped) return STATE_SMALL;
  return lazy >= swapped ? STATE_LAZYFREE : STATE_SWAPPED;
}

/**
 * The state of every PMD that a VMA of `mm` overlaps, in address order (see mappedPmds()).
 * `byTable` may be shared with smapsRollup() of the same unchanged mm.
 */
export function pmdMap(mm: Mm, byTable: TableCache = new Map()): Uint8Array {
  const pmds = mappedPmds(mm);
  const out = new Uint8Array(pmds.length);
  for (let i = 0; i < pmds.length; i++) out[i] = pmdState(mm, pmds[i], byTable);
  return out;
}
