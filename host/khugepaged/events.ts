/** What the khugepaged thread reports on its event stream (`Khugepaged.events`). */
import type { Mm } from "../mm/mm.ts";

/** One finished pass of `khugepaged_do_scan()`. */
export interface PassEvent {
  readonly type: "pass";
  /** Wake-up that began the pass, and the end of its work, in simulated ns. */
  start: number;
  end: number;
  /** Budget units charged (can pass `pages_to_scan` by one PMD's charge). */
  progress: number;
  /** How often the cursor was at the list head when the loop looked (at most 2). */
  passThroughHead: number;
  /** Whether the pass slept `alloc_sleep_millisecs` after a failed huge allocation. */
  allocSlept: boolean;
  /** Simulated CPU time of the pass's work (its wall time less any allocation sleep and waits for a CPU), ns. */
  cpu: number;
  /** PMDs scanned (mm_khugepaged_scan_pmd records) and collapsed in the pass. */
  pmds: number;
  collapses: number;
  /** The mm the cursor is on when the pass ends (null: the list head). */
  mm: Mm | null;
}

/** One collapse attempt khugepaged made, and how it ended. */
export interface CollapseEvent {
  readonly type: "collapse";
  /** Simulated time of the attempt, in ns. */
  ts: number;
  mm: Mm;
  address: number;
  /** SCAN_SUCCEED, or why the collapse failed. */
  result: number;
  /** Clean lazy-free base pages that went into the THP (0 unless it succeeded). */
  lazyfreePages: number;
  /** The folio order of an mTHP collapse's attempt (the mTHP series); absent for the PMD path. */
  order?: number;
}

/** A PMD's scan ended: its final status (after any collapse), as mm_khugepaged_scan_pmd reports it. */
export interface ScanPmdEvent {
  readonly type: "scan_pmd";
  mm: Mm;
  address: number;
  result: number;
}

export type KhugepagedEvent = PassEvent | CollapseEvent | ScanPmdEvent;
