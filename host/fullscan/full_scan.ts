/**
 * "How would one full scan end?": the outcome of one full khugepaged scan over every
 * registered mm, with `pages_to_scan` lifted and no sleeping, under one or more kernel
 * variants and tunables. The scan cores decide every PMD into an outcome array (one
 * u32 per PMD: result | ptesExamined << 8) and add up counters that slices merge by
 * addition; the summary prices them as each variant charges its budget, and a walk
 * that mirrors `khugepaged_do_scan` and `khugepaged_scan_mm_slot` over the outcomes
 * counts the wake-ups one full scan takes at `pages_to_scan`.
 *
 * It answers for the scan, not the collapse: a PMD whose scan ends in SCAN_SUCCEED is
 * a collapse candidate. The daemon's cost around a collapse is charged (mmap_lock is
 * dropped, so the mm is visited again, +1), but nothing is allocated, copied or
 * remapped, and no allocation failure cuts the pass short. VMA eligibility is the
 * kernel's at the time of the call (its `enabled` setting and VMA flags).
 */
import { defaultTunables, writeTunable } from "../kernel/tunables.ts";
import { getVariant, VARIANTS } from "../kernel/variants/mod.ts";
import { RING_RECORDS } from "../kernel/scan_record.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { scanFlags } from "../khugepaged/scan_pmd_exit.ts";
import { buildScanPlan, type ScanPlan } from "./scan_plan.ts";
import { outcomeArrays, type ScanParams, scanOutcomes, STATS } from "./scan_outcomes.ts";
import { type FullScanSummary, type ResolvedConfig, summarize } from "./summary.ts";

/** One setting to scan under: a variant and, optionally, other thresholds than the kernel's. */
export interface FullScanConfig {
  variant: string;
  max_ptes_none?: number;
  max_ptes_swap?: number;
  max_ptes_shared?: number;
  /** The budget per wake-up used to count passes (default: the kernel's). */
  pages_to_scan?: number;
}

export interface FullScanOptions {
  /** Settings to scan under; default: every registered variant with the kernel's tunables. */
  configs?: FullScanConfig[];
  /** Return each scan's outcome array (a copy) in the report. */
  keepOutcomes?: boolean;
  /** Called with PMDs decided so far (all scans together) and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface FullScanReport {
  mms: number;
  eligibleVmas: number;
  ineligibleVmas: number;
  /** PMDs one scan decides. */
  pmds: number;
  summaries: FullScanSummary[];
  /** Outcome arrays by scan (see `scans`), when asked for. */
  outcomes?: Uint32Array[];
  /** The distinct scans run, and which one each summary read. */
  scans: ScanParams[];
  scanOf: number[];
}

/** Resolve configs against the kernel's tunables; a value sysfs would refuse throws its TunableError. */
export function resolveConfigs(k: KhugepagedKernel, configs: FullScanConfig[] | undefined): ResolvedConfig[] {
  const kh = k.tunables.khugepaged;
  const list: FullScanConfig[] = configs ?? [...VARIANTS.keys()].map((variant) => ({ variant }));
  if (list.length === 0) throw new RangeError("Cannot run a full scan: configs must name at least one variant");
  // The sysfs checks, from the one table that defines them.
  const scratch = defaultTunables();
  return list.map((c) => {
    const r = {
      variant: c.variant, v: getVariant(c.variant),
      max_ptes_none: c.max_ptes_none ?? kh.max_ptes_none, max_ptes_swap: c.max_ptes_swap ?? kh.max_ptes_swap,
      max_ptes_shared: c.max_ptes_shared ?? kh.max_ptes_shared, pages_to_scan: c.pages_to_scan ?? kh.pages_to_scan,
    };
    for (const t of ["max_ptes_none", "max_ptes_swap", "max_ptes_shared", "pages_to_scan"] as const) {
      writeTunable(scratch, `khugepaged/${t}`, r[t]);
    }
    return r;
  });
}

/** The distinct scans a list of configs needs, and which scan each config reads. */
export function groupScans(configs: ResolvedConfig[]): { scans: ScanParams[]; scanOf: number[] } {
  const scans: ScanParams[] = [];
  const keys = new Map<string, number>();
  const scanOf = configs.map((c) => {
    const p: ScanParams = {
      maxPtesNone: c.max_ptes_none, maxPtesSwap: c.max_ptes_swap, maxPtesShared: c.max_ptes_shared,
      scanFlags: scanFlags(c.v, true),
    };
    const key = `${p.maxPtesNone}/${p.maxPtesSwap}/${p.maxPtesShared}/${p.scanFlags}`;
    let i = keys.get(key);
    if (i === undefined) { i = scans.length; keys.set(key, i); scans.push(p); }
    return i;
  });
  return { scans, scanOf };
}

/** What a full scan of `k` decides into: its plan, configs, distinct scans and their outcome arrays. */
export interface PreparedScan {
  plan: ScanPlan;
  configs: ResolvedConfig[];
  scans: ScanParams[];
  scanOf: number[];
  /** Byte offsets of the outcome arrays, one per scan. */
  outs: number[];
}

/** Plan a full scan of `k` under `options.configs`; the single-threaded run and the pool both start here. */
export function prepareFullScan(k: KhugepagedKernel, options: FullScanOptions): PreparedScan {
  const plan = buildScanPlan(k);
  const configs = resolveConfigs(k, options.configs);
  const { scans, scanOf } = groupScans(configs);
  return { plan, configs, scans, scanOf, outs: outcomeArrays(k.core, scans.length, plan.pmds) };
}

/** Build the report once every scan's outcomes are decided. */
export function finishReport(k: KhugepagedKernel, prep: PreparedScan, stats: Float64Array[], keepOutcomes: boolean): FullScanReport {
  const { plan, configs, scans, scanOf } = prep;
  const views = prep.outs.map((at) => new Uint32Array(k.core.memory.buffer, at, plan.pmds));
  const sleep = k.tunables.khugepaged.scan_sleep_millisecs;
  return {
    mms: plan.mms.length, eligibleVmas: plan.eligibleVmas, ineligibleVmas: plan.ineligibleVmas, pmds: plan.pmds,
    summaries: configs.map((c, i) => summarize(plan, views[scanOf[i]], stats[scanOf[i]], c, sleep)),
    ...(keepOutcomes ? { outcomes: views.map((v) => v.slice()) } : {}),
    scans, scanOf,
  };
}

/**
 * One full khugepaged scan of `k`'s registered mms on this thread, with `k.scanCore`.
 *
 * @example
 * const report = fullScan(kernel, { configs: [{ variant: "baseline" }, { variant: "lazyfree-skip" }] });
 * console.log(report.summaries[1].results.SCAN_PAGE_LAZYFREE, report.summaries[1].passes);
 */
export function fullScan(k: KhugepagedKernel, options: FullScanOptions = {}): FullScanReport {
  const prep = prepareFullScan(k, options);
  const { plan, scans, outs } = prep;
  const total = plan.pmds * scans.length;
  let done = 0;
  const onBatch = options.onProgress ? (n: number) => options.onProgress!(done += n, total) : undefined;
  const stats = scans.map(() => new Float64Array(STATS.LENGTH));
  scans.forEach((p, i) => {
    scanOutcomes(k.scanCore, k.core.memory, plan.ranges, 0, plan.pmds, p, k.ring, RING_RECORDS, outs[i], stats[i], onBatch);
  });
  return finishReport(k, prep, stats, options.keepOutcomes ?? false);
}
