/**
 * The alternative raised in the v8 review (Barry Song): do not skip lazy-free folios,
 * but when every page of a PMD is lazy-free, collapse it into a THP that stays
 * lazy-free, so reclaim can still drop it. Under mTHP collapse (7.2) the same holds for
 * each window: one whose every PTE maps a clean lazy-free page becomes a lazy-free mTHP.
 */
import type { Policy } from "../variant.ts";

export const lazyfreeKeep: Policy = {
  name: "lazyfree-keep",
  description: "collapse an all-lazy-free PMD into a lazy-free THP instead of skipping lazy-free folios",
  delta: {
    lazyfreeSkip: false,
    collapsedSwapbacked: (allLazyfree, droppable) => !(allLazyfree || droppable),
  },
};
