/** Linux 6.18: khugepaged before the "Improve khugepaged scan logic" series. */
import { ScanResult, scanResultTrace } from "../../core/scan_result.ts";
import type { KernelVersion } from "../variant.ts";

const S = ScanResult;

/** `madvise_collapse`'s whitelist in 6.18; an empty PMD was SCAN_PMD_NONE, not on it. */
const CONTINUES_618 = new Set<number>([
  S.PTE_NON_PRESENT, S.PTE_UFFD_WP, S.LACK_REFERENCED_PAGE, S.PAGE_NULL, S.PAGE_COUNT,
  S.PAGE_LOCK, S.PAGE_COMPOUND, S.PAGE_LRU, S.DEL_PAGE_LRU,
]);

export const linux618: KernelVersion = {
  version: "6.18",
  description: "Linux 6.18: every scanned PMD costs 512 units of pages_to_scan; lazy-free folios are collapsed",
  lazyfreeSkip: false,
  mthpCollapse: false,
  mthpMaxNone: "merged",
  scanTraceEvent: false,
  // Before v8 patch 2/4 a PMD cost HPAGE_PMD_NR whatever the scan found.
  pmdCharge: () => 512,
  // 6.18 had SCAN_PMD_NONE ("pmd_none") where 7.1 has SCAN_NO_PTE_TABLE; our empty PMD is pmd_none.
  traceString: (r) => (r === S.NO_PTE_TABLE ? "pmd_none" : scanResultTrace(r)),
  collapseContinues: (r) => CONTINUES_618.has(r),
  collapseInvertedRangeFails: true,
  collapsedSwapbacked: (_allLazyfree, droppable) => !droppable,
};
