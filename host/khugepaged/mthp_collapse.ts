/**
 * The decision half of khugepaged's mTHP collapse (Nico Pache's series, v17 of May 2026,
 * aimed at Linux 7.2), in plain TypeScript: the scan's 512-bit occupied bitmap, the
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
 * `collapse_max_ptes_none()` for khugepaged at `order` with the sysfs value `sysfs`:
 * the largest number of none or zero PTEs a window may hold, or null where the merged
 * rule refuses the value for an mTHP order (the kernel warns once, and no window of
 * that order qualifies).
 */
export function collapseMaxPtesNone(order: number, sysfs: number, rule: MaxNoneRule = "merged"): number | null {
  if (order === PMD_ORDER) return sysfs;
  if (rule === "scaled") return sysfs >> (PMD_ORDER - order);
  if (sysfs === 0) return 0;
  if (sysfs === MAX_PTES_LIMIT) return (1 << order) - 1;
  return null;
}

/**
 * The scan's bitmap (the TS twin of the bit the scan loop sets): PTE i is occupied when
 * it maps a page that is not the zero page. None, zero-page and swap PTEs are not.
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
  /** An enabled mTHP order met a max_ptes_none the merged rule refuses (the kernel's one-time warning). */
  invalidMaxPtesNone: boolean;
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
  const walk: MthpWalk = { collapsed: 0, attempts: [], invalidMaxPtesNone: false };
  const stack: Array<[number, number]> = [[0, PMD_ORDER]];
  while (stack.length > 0) {
    const [offset, order] = stack.pop()!;
    const n = 1 << order;
    if ((enabledOrders >>> order) & 1) {
      const maxNone = collapseMaxPtesNone(order, sysfsMaxNone, rule);
      if (maxNone === null) walk.invalidMaxPtesNone = true;
      else if (countOccupied(bitmap, offset, n) >= n - maxNone) {
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
