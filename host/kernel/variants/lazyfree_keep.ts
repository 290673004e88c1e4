/**
 * The alternative raised in the v8 review (Barry Song): do not skip lazy-free folios,
 * but when every page of a PMD is lazy-free, collapse it into a THP that stays
 * lazy-free, so reclaim can still drop it. Per-PTE progress as in 7.1.
 */
import { scanResultTrace } from "../../core/scan_result.ts";
import type { Variant } from "../variant.ts";
import { lazyfreeSkip, perPteCharge } from "./lazyfree_skip.ts";

export const lazyfreeKeep: Variant = {
  name: "lazyfree-keep",
  description: "Review alternative: collapse an all-lazy-free PMD into a lazy-free THP (7.1 progress, no skip)",
  lazyfreeSkip: false,
  scanTraceEvent: true,
  pmdCharge: (rec) => perPteCharge(rec.ptesExamined),
  traceString: scanResultTrace,
  collapseContinues: lazyfreeSkip.collapseContinues,
  collapseInvertedRangeFails: false,
  collapsedSwapbacked: (allLazyfree, droppable) => !(allLazyfree || droppable),
};
