/**
 * A task's address space as one state per 2 MiB range: what a picture of khugepaged's
 * work needs (is this PMD huge yet, is it lazy-free, was it swapped out). Read from the
 * page tables through smaps.ts's per-table counts.
 */
import type { Mm } from "./mm.ts";
import { entryTable } from "./page_table.ts";
import { CountsMemo, isLazyfreeHuge, type TableCache, type TableCounts, tableCounts } from "./smaps.ts";
import { PMD_SIZE } from "./vma.ts";

/**
 * PMD states, by their index in a map. A PTE-mapped PMD takes the state most of its
 * 512 entries have (4 KiB pages, lazy-free pages or swap entries; ties go to the
 * earlier name); one with none of them is empty. A PMD whose pages are mostly not
 * lazy-free and include mTHPs (folios of 16 KiB to 1 MiB, mapped by PTEs: a PMD
 * partly collapsed or faulted in at mTHP sizes) is `mthp`.
 */
export const PMD_STATES = ["empty", "small", "lazyfree", "swapped", "huge", "huge-lazyfree", "mthp"] as const;
export type PmdState = (typeof PMD_STATES)[number];

const STATE_EMPTY = 0;
const STATE_SMALL = 1;
const STATE_LAZYFREE = 2;
const STATE_SWAPPED = 3;
const STATE_HUGE = 4;
const STATE_HUGE_LAZYFREE = 5;
const STATE_MTHP = 6;

/**
 * The PMDs (address >> 21) that some VMA of `mm` overlaps, in address order, as runs:
 * `[first, count, first, count, …]`. A terabyte map is a few runs per VMA, not a list.
 */
export function mappedPmdRuns(mm: Mm): number[] {
  const out: number[] = [];
  let next = -1;
  for (const v of mm.vmas) {
    // Adjacent VMAs may share their boundary PMD; list it once.
    const first = Math.max(Math.floor(v.start / PMD_SIZE), next), end = Math.ceil(v.end / PMD_SIZE);
    if (first >= end) continue;
    if (first === next) out[out.length - 1] += end - first;
    else out.push(first, end - first);
    next = end;
  }
  return out;
}

/** The PMD numbers (address >> 21) that some VMA of `mm` overlaps, in address order. */
export function mappedPmds(mm: Mm): number[] {
  const runs = mappedPmdRuns(mm), out: number[] = [];
  for (let r = 0; r < runs.length; r += 2) for (let i = 0; i < runs[r + 1]; i++) out.push(runs[r] + i);
  return out;
}

/** The state of one PMD of `mm` (an index into PMD_STATES). */
export function pmdState(mm: Mm, pmdNo: number, byTable?: TableCache): number {
  const h = mm.huge.get(pmdNo);
  if (h) return isLazyfreeHuge(h) ? STATE_HUGE_LAZYFREE : STATE_HUGE;
  const t = mm.pt.table(pmdNo);
  return t === 0 ? STATE_EMPTY : tableState(tableCounts(mm.pt.core.u32, t, byTable));
}

/** The state of a PTE-mapped PMD from what its table maps. */
function tableState({ normal, lazy, swapped, mthp }: TableCounts): number {
  if (normal + swapped === 0) return STATE_EMPTY;
  const small = normal - lazy;
  if (small >= lazy && small >= swapped) return mthp > 0 ? STATE_MTHP : STATE_SMALL;
  return lazy >= swapped ? STATE_LAZYFREE : STATE_SWAPPED;
}

/**
 * The state of every PMD that a VMA of `mm` overlaps, in address order (see mappedPmds()).
 * `byTable` may be shared with smapsRollup() of the same unchanged mm.
 */
export function pmdMap(mm: Mm, byTable: TableCache = new Map()): Uint8Array {
  return pmdMapAndFree(mm, byTable).pmds;
}

/**
 * pmdMap() and, from the same walk, what smaps_rollup's LazyFree and Swap count in those
 * PMDs (kB): a viewer's frame of a terabyte map reads each PMD once.
 */
export function pmdMapAndFree(mm: Mm, byTable: TableCache = new Map()): { pmds: Uint8Array; lazyFreeKb: number; swapKb: number } {
  const runs = mappedPmdRuns(mm);
  let n = 0;
  for (let r = 1; r < runs.length; r += 2) n += runs[r];
  const out = new Uint8Array(n);
  const memo = new CountsMemo(mm.pt.core.u32, byTable), entries = mm.pt.entries(), base = mm.pt.basePmd;
  let lazyPages = 0, swapPages = 0, lazyHuge = 0;
  let i = 0;
  for (let r = 0; r < runs.length; r += 2) {
    for (let p = runs[r], end = p + runs[r + 1]; p < end; p++, i++) {
      // A PMD with a table is not huge; one without is huge or empty.
      const t = p >= base && p - base < entries.length ? entryTable(entries[p - base]) : 0;
      if (t === 0) {
        const h = mm.huge.size === 0 ? undefined : mm.huge.get(p);
        if (!h) continue;
        const lazy = isLazyfreeHuge(h);
        if (lazy) lazyHuge++;
        out[i] = lazy ? STATE_HUGE_LAZYFREE : STATE_HUGE;
        continue;
      }
      const c = memo.get(t);
      lazyPages += c.lazy;
      swapPages += c.swapped;
      out[i] = tableState(c);
    }
  }
  return { pmds: out, lazyFreeKb: lazyHuge * 2048 + lazyPages * 4, swapKb: swapPages * 4 };
}
