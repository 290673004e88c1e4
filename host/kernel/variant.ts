/**
 * A kernel variant: a small, named set of switches over the shared khugepaged model.
 * Adding a policy means writing one module that returns a `Variant`, and registering
 * it in variants/mod.ts.
 */
import type { ScanRecord } from "./scan_record.ts";

export interface Variant {
  /** Registry name, e.g. "baseline". */
  readonly name: string;
  /** One line for `khugesim presets` and reports. */
  readonly description: string;
  /** The v8 "skip lazy-free folios" rule in the scan and isolate steps. */
  readonly lazyfreeSkip: boolean;
  /** Whether `mm_khugepaged_scan` exists (v8 patch 1/4). */
  readonly scanTraceEvent: boolean;
  /** Budget units of `pages_to_scan` charged for one scanned anonymous PMD. */
  pmdCharge(rec: ScanRecord): number;
  /** The trace string this kernel prints for a result code. */
  traceString(result: number): string;
  /** Whether MADV_COLLAPSE goes on to the next PMD after this result (`madvise_collapse`'s whitelist). */
  collapseContinues(result: number): boolean;
  /**
   * Whether MADV_COLLAPSE of a range inside one PMD that touches no PMD boundary fails
   * with -EINVAL. 6.18 compares the THPs made with `(hend - hstart) >> HPAGE_PMD_SHIFT`
   * in unsigned arithmetic, which an inverted range turns huge; 7.1 returns 0 early
   * when `hstart >= hend`.
   */
  readonly collapseInvertedRangeFails: boolean;
  /**
   * Whether the THP a collapse creates is swap-backed, given whether every source page
   * was lazy-free and whether the VMA is VM_DROPPABLE. The kernel: `!droppable`.
   */
  collapsedSwapbacked(sourceAllLazyfree: boolean, droppable: boolean): boolean;
}
