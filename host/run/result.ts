/** What a run reports: per task what perf stat and the seed program would print, the khugepaged timeline, time series. */
import type { MthpStat } from "../kernel/mthp_stats.ts";
import type { PassCollapses } from "./pass_collapses.ts";
import type { WakeupRow } from "./wakeup_log.ts";
import type { Vmstat } from "../kernel/vmstat.ts";

/** Accesses of a task or a phase summed the way perf stat and rdtsc would see them. */
export interface AccessReport {
  accesses: number;
  loads: number;
  stores: number;
  /** perf `dTLB-loads` as the preset's vendor maps it (AMD: L2 DTLB lookups; Intel: loads). */
  dtlbLoads: number;
  /** perf `dTLB-load-misses` as the vendor counts it (AMD: every walk; Intel: walks on loads). */
  dtlbLoadMisses: number;
  /** Completed page walks, loads and stores. */
  walks: number;
  walksPerAccess: number;
  /** One standard error of walksPerAccess from sampling (0 when every access was simulated). */
  walksPerAccessStdError: number;
  /** rdtsc ticks per access around the accesses, from the cost model. */
  cyclesPerAccess: number;
  /** Simulated seconds the accesses took, the per-access overhead included. */
  seconds: number;
  /** Accesses per second, in millions. */
  throughputMps: number;
  startS: number;
  endS: number;
}

/** khugepaged's successful collapses of one mm's memory. */
export interface CollapseSummary {
  count: number;
  firstS: number | null;
  lastS: number | null;
  /** Clean lazy-free memory that went into a THP. */
  lazyfreeKb: number;
}

/** One task at the end of the run. */
export interface TaskResult {
  name: string;
  pid: number;
  /** The task it was forked from, if any. */
  parent: string | null;
  startS: number;
  /** When the task ran out of steps (or exited); null if the run ended first. */
  endS: number | null;
  exited: boolean;
  /** Every access phase together: what `perf stat` over the whole process counts. */
  perf: AccessReport | null;
  /** The phases marked `measure`, together: the seed program's timed loop. */
  measurement: AccessReport | null;
  /**
   * smaps_rollup at the end of the run, in kB; with an mTHP size on (usesMthpSizes), `thp`
   * adds thpmaps' counters by folio size (host/mm/thp_counters.ts), non-zero only.
   */
  memory: { anonHugePagesKb: number; rssKb: number; lazyFreeKb: number; swapKb: number; thp?: Record<string, number> };
  /** khugepaged's successful collapses of this task's memory. */
  collapses: CollapseSummary;
  /** Return values of the task's MADV_COLLAPSE calls (0 or a negative errno). */
  madviseCollapse: Array<{ timeS: number; ret: number }>;
  /** PMDs of its mappings still mapped by 4 KiB pages when its first measured phase began; null without one. */
  smallPmdsAtMeasure: number | null;
}

/**
 * One mm of the scenario's generated map (`generate:`) or imported snapshot (`import:`)
 * at the end of the run. It runs no steps and is not sampled in the time series.
 */
export interface GeneratedResult {
  name: string;
  pid: number;
  /** AnonHugePages in kB just after generation or import (its huge PMDs) and at the end of the run. */
  initialAnonHugePagesKb: number;
  anonHugePagesKb: number;
  /** khugepaged's successful collapses of this mm's memory. */
  collapses: CollapseSummary;
}

/** One task in one interval of the time series. */
export interface TaskSample {
  anonHugePagesKb: number;
  rssKb: number;
  lazyFreeKb: number;
  swapKb: number;
  accesses: number;
  dtlbLoadMisses: number;
  /** Null when the task made no access in the interval. */
  cyclesPerAccess: number | null;
  /** thpmaps' counters in kB, non-zero only, when the scenario turns an mTHP size on. */
  thp?: Record<string, number>;
}

/** The state at the end of one interval (and at the end of the run). */
export interface SeriesPoint {
  timeS: number;
  khugepaged: { fullScans: number; pagesCollapsed: number };
  /** By task name; a task appears from its start on. */
  tasks: Record<string, TaskSample>;
}

/** One scenario run under one kernel variant. */
export interface RunResult {
  scenario: string;
  variant: string;
  seed: number;
  tlb: string;
  costModel: string;
  tlbMode: "exact" | "sample";
  endS: number;
  /** In the order the tasks started (a forked child after its parent). */
  tasks: TaskResult[];
  /**
   * The mms of the scenario's generated map, in generation order. Absent without
   * `generate:`, so that other scenarios' results serialize as they always have.
   */
  generated?: GeneratedResult[];
  /** The mms of the scenario's imported snapshot (`import:`), one per captured process; absent without it. */
  imported?: GeneratedResult[];
  /** khugepaged's work over the run: the thread's only, MADV_COLLAPSE is not counted. */
  khugepaged: {
    fullScans: number;
    pagesCollapsed: number;
    wakeups: number;
    /**
     * How often each result was the status of khugepaged's mm_khugepaged_scan_pmd events,
     * traced or not, named as the variant's trace names it (an empty PMD is 6.18's `pmd_none`,
     * 7.1's `no_pte_table`): in SCAN_RESULTS order, zero counts left out.
     */
    scanResults: Record<string, number>;
    /**
     * Under a kernel with mTHP collapse (7.2) only: `hugepages-<N>kB/stats/` (anon_fault_*, collapse_*) by
     * size ("hugepages-64kB"), each size and counter left out while 0.
     */
    mthpStats?: Record<string, Partial<Record<MthpStat, number>>>;
    /** The kernel log lines of the run (the mTHP collapse warning), when there are any. */
    dmesg?: string[];
    /** When the scenario turns an mTHP size on: the passes that collapsed, by folio size (pass_collapses.ts). */
    collapsesByPass?: PassCollapses[];
  };
  vmstat: Vmstat;
  /** CONFIG_HZ of the run's kernel. */
  hz: number;
  /** khugepaged's passes in order (`run --wakeups`). */
  wakeups: WakeupRow[];
  series: SeriesPoint[];
  /** The trace buffer in ftrace's text format. */
  trace: string;
}
