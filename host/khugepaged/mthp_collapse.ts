/**
 * The walk of khugepaged's mTHP collapse (Nico Pache's series as in mm-unstable from v18
 * of 22 May 2026, aimed at Linux 7.2): `mthp_collapse()` from the PMD order down over aligned windows with its
 * outcome handling. Which windows qualify the scan core has judged already (its
 * OCCUPANCY record, host/core/occupancy.ts); the collapse itself is the caller's.
 *
 * The walk is a depth-first search of the binary tree of aligned windows: a window of
 * order o that is not enabled, does not qualify, or fails with a result after which a
 * smaller order may still succeed is split into its two halves of order o − 1 (left
 * first), as long as an enabled order below o exists.
 */
import { PTES_PER_PMD } from "../core/layout.ts";
import { maxPtesNoneFallsBack } from "../core/occupancy.ts";
import { ScanResult } from "../core/scan_result.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";
import type { MaxNoneRule } from "../kernel/variant.ts";

const S = ScanResult;

/** The line `collapse_max_ptes_none()` prints once (pr_warn_once) when it falls back to 0. */
export const MAX_PTES_NONE_WARNING =
  `khugepaged: mTHP collapse does not support max_ptes_none values other than 0 or ${PTES_PER_PMD - 1}, defaulting to 0.`;

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
 * `mthp_collapse()`: walk the windows of one PMD whose scan succeeded. `qualifies(offset,
 * order)` says whether the window holds occupied PTEs enough for its order (the scan's
 * verdict); `enabledOrders` is the bitmask of orders allowed for the VMA (bit o for order
 * o, 2 ≤ o ≤ PMD_ORDER); `collapse(offset, order)` attempts `collapse_huge_page()` on the
 * window and returns its result.
 */
export function mthpCollapse(
  qualifies: (offset: number, order: number) => boolean, enabledOrders: number, sysfsMaxNone: number,
  rule: MaxNoneRule, collapse: (offset: number, order: number) => number,
): MthpWalk {
  const walk: MthpWalk = { collapsed: 0, attempts: [], maxPtesNoneFellBack: false };
  const stack: Array<[number, number]> = [[0, PMD_ORDER]];
  while (stack.length > 0) {
    const [offset, order] = stack.pop()!;
    const n = 1 << order;
    if ((enabledOrders >>> order) & 1) {
      if (maxPtesNoneFallsBack(order, sysfsMaxNone, rule)) walk.maxPtesNoneFellBack = true;
      if (qualifies(offset, order)) {
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
