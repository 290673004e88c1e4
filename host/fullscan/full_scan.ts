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
import type { CoreMemory } from "../core/core_memory.ts";
import { PTES_PER_PMD, RECORD, SCAN_FLAG } from "../core/layout.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { SCAN_RESULTS, ScanResult, type ScanResultName } from "../core/scan_result.ts";
import type { ScanRecord } from "../kernel/scan_record.ts";
import type { Variant } from "../kernel/variant.ts";
import { defaultTunables, writeTunable } from "../kernel/tunables.ts";
import { getVariant, VARIANTS } from "../kernel/variants/mod.ts";
import { RING_RECORDS } from "../kernel/scan_record.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import { buildScanPlan, RANGE, type ScanPlan } from "./scan_plan.ts";

/** One setting to scan under: a variant and, optionally, other thresholds than the kernel's. */
export interface FullScanConfig {
  variant: string;
  max_ptes_none?: number;
  max_ptes_swap?: number;
  max_ptes_shared?: number;
  /** The budget per wake-up used to count passes (default: the kernel's). */
  pages_to_scan?: number;
}

/** The thresholds and flags one core call needs: configs that agree on them share a scan. */
export interface ScanParams {
  maxPtesNone: number;
  maxPtesSwap: number;
  maxPtesShared: number;
  scanFlags: number;
}

export interface FullScanOptions {
  /** Settings to scan under; default: every registered variant with the kernel's tunables. */
  configs?: FullScanConfig[];
  /** Return each scan's outcome array (a copy) in the report. */
  keepOutcomes?: boolean;
  /** Called with PMDs decided so far (all scans together) and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** The end of one full scan under one config. */
export interface FullScanSummary {
  variant: string;
  tunables: { max_ptes_none: number; max_ptes_swap: number; max_ptes_shared: number; pages_to_scan: number;
    scan_sleep_millisecs: number };
  /** PMDs by scan result (kernel order, non-zero only). SCAN_SUCCEED counts collapse candidates. */
  results: Partial<Record<ScanResultName, number>>;
  pmdsScanned: number;
  ptesExamined: number;
  /** Budget units one full scan costs with pages_to_scan lifted (`progress` summed over its calls). */
  progress: number;
  /** `khugepaged_scan_mm_slot` calls of the full scan with pages_to_scan lifted. */
  calls: number;
  /** Wake-ups one full scan takes at pages_to_scan, starting from the list head. */
  passes: number;
  /** Sleep between those wake-ups: (passes - 1) × scan_sleep_millisecs, in seconds. */
  sleepSeconds: number;
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

/** Bits of an outcome word. */
export const OUTCOME = { RESULT_MASK: 0xff, EXAMINED_SHIFT: 8 } as const;

/**
 * Counters a scan of any slice adds up: PMDs by result, then PMDs by PTEs examined
 * (0 to 512). Slices merge by addition, so any split gives the same totals; every
 * variant's charge is a function of ptesExamined, so they price any variant.
 */
export const STATS = {
  COUNTS: 0,
  EXAMINED: SCAN_RESULTS.length,
  LENGTH: SCAN_RESULTS.length + PTES_PER_PMD + 1,
} as const;

/** Resolve configs against the kernel's tunables; a value sysfs would refuse throws its TunableError. */
export function resolveConfigs(k: KhugepagedKernel, configs: FullScanConfig[] | undefined): Array<Required<FullScanConfig> & { v: Variant }> {
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
export function groupScans(configs: ReturnType<typeof resolveConfigs>): { scans: ScanParams[]; scanOf: number[] } {
  const scans: ScanParams[] = [];
  const keys = new Map<string, number>();
  const scanOf = configs.map((c) => {
    const p: ScanParams = {
      maxPtesNone: c.max_ptes_none, maxPtesSwap: c.max_ptes_swap, maxPtesShared: c.max_ptes_shared,
      scanFlags: SCAN_FLAG.KHUGEPAGED | (c.v.lazyfreeSkip ? SCAN_FLAG.LAZYFREE_SKIP : 0),
    };
    const key = `${p.maxPtesNone}/${p.maxPtesSwap}/${p.maxPtesShared}/${p.scanFlags}`;
    let i = keys.get(key);
    if (i === undefined) { i = scans.length; keys.set(key, i); scans.push(p); }
    return i;
  });
  return { scans, scanOf };
}

/** Index of the range holding outcome `at` (ranges are sorted by their OUT column). */
function rangeAt(ranges: Uint32Array, at: number): number {
  let lo = 0, hi = ranges.length / RANGE.WIDTH - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ranges[mid * RANGE.WIDTH + RANGE.OUT] <= at) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/**
 * Decide outcomes [from, to) of a plan's ranges with `core`, through a ring of
 * `ringRecords` records at byte offset `ring`, into the outcome array at byte offset
 * `outcomes`, adding to `stats` (see STATS). The single-threaded run and every worker
 * run this same function.
 */
export function scanOutcomes(
  core: ScanCore, memory: WebAssembly.Memory, ranges: Uint32Array, from: number, to: number, p: ScanParams,
  ring: number, ringRecords: number, outcomes: number, stats: Float64Array, onBatch?: (pmds: number) => void,
): void {
  if (from >= to) return;
  let u32 = new Uint32Array(memory.buffer);
  const ringW = ring >>> 2, outW = outcomes >>> 2;
  const stride = RECORD.BYTES >>> 2, examinedW = RECORD.PTES_EXAMINED >>> 2;
  for (let r = rangeAt(ranges, from), at = from; at < to; r++) {
    const row = r * RANGE.WIDTH;
    const out = ranges[row + RANGE.OUT], count = ranges[row + RANGE.COUNT];
    const end = Math.min(to, out + count);
    for (; at < end;) {
      const off = at - out;
      const n = Math.min(ringRecords, end - at);
      core.scanPmds(ranges[row + RANGE.DIR], ranges[row + RANGE.FIRST] + off, n, ranges[row + RANGE.PMD_NO] + off,
        p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, ranges[row + RANGE.VMA_FLAGS], p.scanFlags, ring);
      if (u32.length * 4 !== memory.buffer.byteLength) u32 = new Uint32Array(memory.buffer);
      for (let i = 0, w = ringW; i < n; i++, w += stride) {
        const result = u32[w], examined = u32[w + examinedW];
        u32[outW + at + i] = result | (examined << OUTCOME.EXAMINED_SHIFT);
        stats[STATS.COUNTS + result]++;
        stats[STATS.EXAMINED + examined]++;
      }
      at += n;
      onBatch?.(n);
    }
  }
}

/** A variant's charge for each possible ptesExamined (0 to 512), read once from `pmdCharge`. */
function chargeTable(v: Variant): Float64Array {
  const table = new Float64Array(PTES_PER_PMD + 1);
  const rec = { ptesExamined: 0 } as ScanRecord;
  for (let n = 0; n <= PTES_PER_PMD; n++) {
    rec.ptesExamined = n;
    table[n] = v.pmdCharge(rec);
  }
  return table;
}

interface Walk {
  progress: number;
  calls: number;
  passes: number;
  counts: Float64Array;
  examined: number;
}

/**
 * Walk one full scan from the list head over decided outcomes, as `khugepaged_do_scan`
 * and `khugepaged_scan_mm_slot` do with a budget of `budget` per pass, and stop when
 * the cursor leaves the last mm. Summaries use it for the pass count; with the budget
 * lifted it is the oracle the summaries' closed form is tested against.
 */
export function walkFullScan(plan: ScanPlan, out: Uint32Array, v: Variant, budget: number): Walk {
  const charge = chargeTable(v);
  const SUCCEED = ScanResult.SUCCEED;
  const counts = new Float64Array(SCAN_RESULTS.length);
  let total = 0, calls = 0, passes = 0, examined = 0;
  // The cursor: mm (-1 at the list head), address, and the first VMA that may end past
  // the address (the VMA loop's find_vma(), kept so a revisit does not rescan the list).
  let mmIdx = -1, address = 0, vmaIdx = 0;
  if (plan.mms.length === 0) return { progress: 0, calls: 0, passes: 0, counts, examined };
  for (;;) {
    passes++;
    let progress = 0, passThroughHead = 0;
    for (;;) {
      if (mmIdx < 0) passThroughHead++;
      if (passThroughHead >= 2) break;
      // khugepaged_scan_mm_slot()
      if (mmIdx < 0) { mmIdx = 0; address = 0; vmaIdx = 0; }
      const mm = plan.mms[mmIdx];
      calls++;
      progress++;
      let finished = true, lockDropped = false;
      if (mm.live) {
        const vmas = mm.vmas;
        scan: for (; vmaIdx < vmas.length; vmaIdx++) {
          const vma = vmas[vmaIdx];
          if (vma.end <= address) continue;
          if (!vma.eligible) { progress++; continue; }
          if (address > vma.hend) { progress++; continue; }
          if (address < vma.hstart) address = vma.hstart;
          let at = vma.out + (address - vma.hstart) / PMD_SIZE;
          while (address < vma.hend) {
            const o = out[at++];
            const result = o & OUTCOME.RESULT_MASK, n = o >>> OUTCOME.EXAMINED_SHIFT;
            counts[result]++;
            examined += n;
            address += PMD_SIZE;
            progress += charge[n];
            // collapse_huge_page() drops mmap_lock: the call ends, the cursor stays.
            if (result === SUCCEED) { lockDropped = true; break scan; }
            if (progress >= budget) { finished = false; break scan; }
          }
        }
      }
      if (!lockDropped && finished) {
        mmIdx = mmIdx + 1 < plan.mms.length ? mmIdx + 1 : -1;
        address = 0;
        vmaIdx = 0;
        if (mmIdx < 0) return { progress: total + progress, calls, passes, counts, examined };
      }
      if (progress >= budget) break;
    }
    total += progress;
  }
}

/** Turn the counters of one config's scan (and a budget walk for its pass count) into its summary. */
export function summarize(
  plan: ScanPlan, out: Uint32Array, stats: Float64Array, c: ReturnType<typeof resolveConfigs>[number], scanSleepMs: number,
): FullScanSummary {
  const charge = chargeTable(c.v);
  const results: Partial<Record<ScanResultName, number>> = {};
  SCAN_RESULTS.forEach(([name], i) => { if (stats[STATS.COUNTS + i] > 0) results[name] = stats[STATS.COUNTS + i]; });
  let ptesExamined = 0, charged = 0;
  for (let n = 0; n <= PTES_PER_PMD; n++) {
    ptesExamined += n * stats[STATS.EXAMINED + n];
    charged += charge[n] * stats[STATS.EXAMINED + n];
  }
  // With the budget lifted a call ends only at the end of its mm or after a collapse
  // attempt (mmap_lock dropped), so each candidate costs one more visit of its mm.
  const calls = plan.mms.length + stats[STATS.COUNTS + ScanResult.SUCCEED];
  const progress = charged + calls + plan.chargedVmas;
  // A budget above the whole scan's cost finishes it in the first pass.
  const passes = c.pages_to_scan > progress ? 1 : walkFullScan(plan, out, c.v, c.pages_to_scan).passes;
  return {
    variant: c.variant,
    tunables: { max_ptes_none: c.max_ptes_none, max_ptes_swap: c.max_ptes_swap, max_ptes_shared: c.max_ptes_shared,
      pages_to_scan: c.pages_to_scan, scan_sleep_millisecs: scanSleepMs },
    results,
    pmdsScanned: plan.pmds,
    ptesExamined,
    progress,
    calls,
    passes,
    sleepSeconds: ((passes - 1) * scanSleepMs) / 1000,
  };
}

/** Outcome arrays in core memory, kept per CoreMemory and reused from run to run. */
const arenas = new WeakMap<CoreMemory, Array<{ at: number; capacity: number }>>();

/** Byte offsets of `n` outcome arrays of `pmds` entries each, allocated once and reused. */
export function outcomeArrays(core: CoreMemory, n: number, pmds: number): number[] {
  let arena = arenas.get(core);
  if (!arena) arenas.set(core, arena = []);
  const need = Math.max(1, pmds);
  for (let i = 0; i < n; i++) {
    if (arena[i] === undefined || arena[i].capacity < need) {
      core.reserveCheck(need * 4, `Full scan outcome array of ${need} PMDs`);
      arena[i] = { at: core.alloc(need * 4, 64), capacity: need };
    }
  }
  return arena.slice(0, n).map((a) => a.at);
}

/** What a full scan of `k` decides into: its plan, configs, distinct scans and their outcome arrays. */
export interface PreparedScan {
  plan: ScanPlan;
  configs: ReturnType<typeof resolveConfigs>;
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
