/**
 * Linux 7.1: Vernon Yang's v8 series "Improve khugepaged scan logic" — the
 * mm_khugepaged_scan event, per-PTE scan progress, and "skip lazy-free folios".
 */
import { ScanResult, scanResultTrace } from "../../core/scan_result.ts";
import type { KernelVersion } from "../variant.ts";

const S = ScanResult;

const CONTINUES_71 = new Set<number>([
  S.NO_PTE_TABLE, S.PTE_NON_PRESENT, S.PTE_UFFD_WP, S.LACK_REFERENCED_PAGE, S.PAGE_NULL,
  S.PAGE_COUNT, S.PAGE_LOCK, S.PAGE_COMPOUND, S.PAGE_LRU, S.DEL_PAGE_LRU,
]);

export const linux71: KernelVersion = {
  version: "7.1",
  description: "Linux 7.1 (v8 series): per-PTE scan progress, mm_khugepaged_scan, skip clean lazy-free folios",
  lazyfreeSkip: true,
  mthpCollapse: false,
  mthpMaxNone: "merged",
  scanTraceEvent: true,
  // v8 patch 2/4: a PMD decided at the PMD level (no PTE table, already huge) costs 1;
  // otherwise each PTE examined costs 1, the failing one included.
  pmdCharge: (ptesExamined) => (ptesExamined === 0 ? 1 : ptesExamined),
  traceString: scanResultTrace,
  collapseContinues: (r) => CONTINUES_71.has(r),
  collapseInvertedRangeFails: false,
  collapsedSwapbacked: (_allLazyfree, droppable) => !droppable,
};
