/**
 * v8 patch 3/4's rule on its own: khugepaged's scan and isolate stop at a clean
 * lazy-free folio outside VM_DROPPABLE (SCAN_PAGE_LAZYFREE). 7.1 ships it; on 6.18 it
 * separates the rule's effect from 7.1's per-PTE progress accounting.
 */
import type { Policy } from "../variant.ts";

export const lazyfreeSkip: Policy = {
  name: "lazyfree-skip",
  description: "skip clean lazy-free folios in khugepaged's scan and isolate (SCAN_PAGE_LAZYFREE)",
  delta: { lazyfreeSkip: true },
};
