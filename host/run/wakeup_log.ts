/**
 * khugepaged's wake-ups over a run, one row per pass of `khugepaged_do_scan()`: the
 * table a kernel developer reads from a trace (start, end, CPU, PMDs, budget, collapses).
 */
import type { PassEvent } from "../khugepaged/events.ts";

/** One pass, in simulated seconds. */
export interface WakeupRow {
  /** The wake-up that began the pass, and the end of its work. */
  startS: number;
  endS: number;
  /** Simulated CPU time of the work (the wall time less any allocation sleep). */
  cpuS: number;
  /** PMDs scanned (mm_khugepaged_scan_pmd records, traced or not) and collapsed. */
  pmds: number;
  collapses: number;
  /** Budget units charged against pages_to_scan. */
  progress: number;
  /** The task the cursor is on when the pass ends; null at the list head. */
  endedIn: string | null;
  /** The pass slept alloc_sleep_millisecs after a failed huge allocation. */
  allocSlept: boolean;
}

/** Collects the daemon's pass events as rows. */
export class WakeupLog {
  readonly rows: WakeupRow[] = [];

  /** The daemon's `onPass` hook. */
  readonly onPass = (e: PassEvent): void => {
    this.rows.push({
      startS: e.start / 1e9, endS: e.end / 1e9, cpuS: e.cpu / 1e9, pmds: e.pmds, collapses: e.collapses,
      progress: e.progress, endedIn: e.mm?.name ?? null, allocSlept: e.allocSlept,
    });
  };
}
