/**
 * The decision half of khugepaged's mTHP collapse (Nico Pache's series as in mm-unstable
 * from v18 of 22 May 2026, aimed at Linux 7.2), in plain TypeScript: the scan's 512-bit occupied bitmap, the
 * per-order `max_ptes_none`, and `mthp_collapse()`'s walk from the PMD order down over
 * aligned windows with its outcome handling. The collapse itself is the caller's.
 *
 * The walk is a depth-first search of the binary tree of aligned windows: a window of
 * order o that is not enabled, does not qualify, or fails with a result after which a
 * smaller order may still succeed is split into its two halves of order o − 1 (left
 * first), as long as an enabled order below o exists.
 */
import { PTE, PTES_PER_PMD } from "../core/layout.ts";
import { ScanResult } from "../core/scan_result.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";
import type { MaxNoneRule } from "../kernel/variant.ts";

const S = ScanResult;

/** Words of the occupied bitmap: one bit per PTE of a PMD. */
export const BITMAP_WORDS = PTES_PER_PMD / 32;

/** KHUGEPAGED_MAX_PTES_LIMIT: HPAGE_PMD_NR − 1. */
const MAX_PTES_LIMIT = PTES_PER_PMD - 1;

/**
 * `collapse_max_ptes_none()` for khugepaged at `order` with the sysfs value `sysfs`: the
 * largest number of none or zero PTEs a window may hold. Under the merged rule an mTHP
 * order takes 0 as 0 and 511 as 2^o − 1; any other value falls back to 0 (v18 of the
 * series; v15–v17 refused the value and collapsed no mTHP at all).
 */
export function collapseMaxPtesNone(order: number, sysfs: number, rule: MaxNoneRule = "merged"): number {
  if (order === PMD_ORDER) return sysfs;
  if (rule === "scaled") return sysfs >> (PMD_ORDER - order);
  return sysfs === MAX_PTES_LIMIT ? (1 << order) - 1 : 0;
}

/** Whether `collapseMaxPtesNone()` replaced `sysfs` by 0 at `order`: the kernel's one-time warning. */
export function maxPtesNoneFallsBack(order: number, sysfs: number, rule: MaxNoneRule): boolean {
  return order !== PMD_ORDER && rule === "merged" && sysfs !== 0 && sysfs !== MAX_PTES_LIMIT;
}

/** The line `collapse_max_ptes_none()` prints once (pr_warn_once) when it falls back to 0. */
export const MAX_PTES_NONE_WARNING =
  `khugepaged: mTHP collapse does not support max_ptes_none values other than 0 or ${MAX_PTES_LIMIT}, defaulting to 0.`;

/**
 * The scan's bitmap (the TS twin of the bit the scan loop sets): PTE i is occupied when
 * it maps a page that is not the zero page. None, zero-page and swap PTEs are not: the
 * scan sets the bit only after a PTE passed every check, and a swap entry leaves the
 * loop before that (collapse_scan_pmd() in v17/v18; collapse_check_pte()'s
 * PTE_CHECK_CONTINUE in the July 2026 refactor), so it counts against every window.
 * `u32` holds the PTE table at byte offset `table`; `out` receives BITMAP_WORDS words.
 */
export function occupiedBitmap(u32: Uint32Array, table: number, out: Uint32Array): Uint32Array {
  out.fill(0);
  let w = table >>> 2;
  for (let i = 0; i < PTES_PER_PMD; i++, w += 2) {
    const lo = u32[w];
    if ((lo & PTE.PRESENT) !== 0 && (lo & PTE.ZERO) === 0) out[i >>> 5] |= 1 << (i & 31);
  }
  return out;
}

/** Set bits of `bitmap` in PTEs [offset, offset + n): `bitmap_weight_and()` with the window's mask. */
export function countOccupied(bitmap: Uint32Array, offset: number, n: number): number {
  let count = 0;
  for (let i = offset; i < offset + n; i++) count += (bitmap[i >>> 5] >>> (i & 31)) & 1;
  return count;
}

/** Results after which `mthp_collapse()` tries the window's halves at the next order down. */
const TRY_SMALLER = new Set<number>([
  S.LACK_REFERENCED_PAGE, S.EXCEED_NONE_PTE, S.EXCEED_SWAP_PTE, S.EXCEED_SHARED_PTE, S.PAGE_LOCK, S.PAGE_COUNT,
  S.PAGE_NULL, S.DEL_PAGE_LRU, S.PTE_NON_PRESENT, S.PTE_UFFD_WP, S.ALLOC_HUGE_PAGE_FAIL, S.PAGE_LAZYFREE,
]);

/** What the walk does after a collapse attempt ends with `result`. */
export function afterAttempt(result: number): "next-window" | "smaller" | "stop" {
  // A window already mapped by a folio of at least its order counts as done.
  if (result === S.SUCCEED || result === S.PTE_MAPPED_HUGEPAGE) return "next-window";
  return TRY_SMALLER.has(result) ? "smaller" : "stop";
}

/** One window the walk tried to collapse: its first PTE, its order and the result. */
export interface MthpAttempt {
  offset: number;
  order: number;
  result: number;
}

/** What a walk over one PMD did. */
export interface MthpWalk {
  /** PTEs collapsed (the kernel's return value); the scan reports SUCCEED when non-zero. */
  collapsed: number;
  attempts: MthpAttempt[];
  /** An enabled mTHP order met a max_ptes_none the merged rule replaces by 0 (the kernel's one-time warning). */
  maxPtesNoneFellBack: boolean;
}

/**
 * `mthp_collapse()`: walk the windows of one PMD whose scan succeeded. `enabledOrders`
 * is the bitmask of orders allowed for the VMA (bit o for order o, 2 ≤ o ≤ PMD_ORDER);
 * `collapse(offset, order)` attempts `collapse_huge_page()` on the window and returns
 * its result.
 */
export function mthpCollapse(
  bitmap: Uint32Array, enabledOrders: number, sysfsMaxNone: number, rule: MaxNoneRule,
  collapse: (offset: number, order: number) => number,
): MthpWalk {
  const walk: MthpWalk = { collapsed: 0, attempts: [], maxPtesNoneFellBack: false };
  const stack: Array<[number, number]> = [[0, PMD_ORDER]];
  while (stack.length > 0) {
    const [offset, order] = stack.pop()!;
    const n = 1 << order;
    if ((enabledOrders >>> order) & 1) {
      if (maxPtesNoneFallsBack(order, sysfsMaxNone, rule)) walk.maxPtesNoneFellBack = true;
      if (countOccupied(bitmap, offset, n) >= n - collapseMaxPtesNone(order, sysfsMaxNone, rule)) {
        const result = collapse(offset, order);
        walk.attempts.push({ offset, order, result });
        const next = afterAttempt(result);
        if (result === S.SUCCEED) walk.collapsed += n;
        if (next === "next-window") continue;
        if (next === "stop") return walk;
      }
    }
    // Halves only while an enabled order lies below this one; the left half is popped first.
    if ((enabledOrders & (n - 1)) !== 0) stack.push([offset + n / 2, order - 1], [offset, order - 1]);
  }
  return walk;
}
