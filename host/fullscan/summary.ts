/**
 * A full scan's summary from its decided outcomes: the counters priced as a variant
 * charges its budget, and the walk of `khugepaged_do_scan` over the outcomes that
 * counts the wake-ups one full scan takes at `pages_to_scan`.
 */
import { PTES_PER_PMD } from "../core/layout.ts";
import { SCAN_RESULTS, ScanResult, type ScanResultName } from "../core/scan_result.ts";
import type { Variant } from "../kernel/variant.ts";
import { PMD_STEP, slotWalk, WALK_END, walkMmSlot } from "../khugepaged/scan_mm_slot.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import type { ScanPlan } from "./scan_plan.ts";
import { OUTCOME, STATS } from "./scan_outcomes.ts";

/** The end of one full scan under one config. */
/** One setting to scan under, with the kernel's tunables filled in. */
export interface ResolvedConfig {
  variant: string;
  v: Variant;
  max_ptes_none: number;
  max_ptes_swap: number;
  max_ptes_shared: number;
  pages_to_scan: number;
}

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

/** A variant's charge for each possible ptesExamined (0 to 512), read once from `pmdCharge`. */
function chargeTable(v: Variant): Float64Array {
  const table = new Float64Array(PTES_PER_PMD + 1);
  for (let n = 0; n <= PTES_PER_PMD; n++) table[n] = v.pmdCharge(n);
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
 * does with a budget of `budget` per pass and `khugepaged_scan_mm_slot`'s walk
 * (walkMmSlot) per call, and stop when the cursor leaves the last mm. Summaries use it
 * for the pass count; with the budget lifted it is the oracle the summaries' closed
 * form is tested against.
 */
export function walkFullScan(plan: ScanPlan, out: Uint32Array, v: Variant, budget: number): Walk {
  const charge = chargeTable(v);
  const counts = new Float64Array(SCAN_RESULTS.length);
  let total = 0, calls = 0, passes = 0, examined = 0;
  if (plan.mms.length === 0) return { progress: 0, calls: 0, passes: 0, counts, examined };
  // The cursor: mm (-1 at the list head), address, and the first VMA that may end past
  // the address (kept so a revisit does not rescan the list).
  let mmIdx = -1, address = 0, vmaIdx = 0;
  let vmas = plan.mms[0].vmas;
  const eligible = (i: number) => vmas[i].eligible;
  const chargeOf = (n: number) => charge[n];
  const pmd = (i: number, at: number): number => {
    const o = out[vmas[i].out + (at - vmas[i].hstart) / PMD_SIZE];
    const result = o & OUTCOME.RESULT_MASK;
    counts[result]++;
    examined += o >>> OUTCOME.EXAMINED_SHIFT;
    // collapse_huge_page() drops mmap_lock: the call ends, the cursor stays.
    return result === ScanResult.SUCCEED ? (o | PMD_STEP.LOCK_DROPPED) >>> 0 : o;
  };
  for (;;) {
    passes++;
    let progress = 0, passThroughHead = 0;
    for (;;) {
      if (mmIdx < 0) passThroughHead++;
      if (passThroughHead >= 2) break;
      if (mmIdx < 0) { mmIdx = 0; address = 0; vmaIdx = 0; }
      const mm = plan.mms[mmIdx];
      vmas = mm.vmas;
      calls++;
      const w = slotWalk(address, progress + 1, budget);
      w.vma = vmaIdx;
      const end = mm.live ? walkMmSlot(vmas, eligible, w, chargeOf, pmd) : WALK_END.MM;
      progress = w.progress;
      address = w.address;
      vmaIdx = w.vma;
      if (end === WALK_END.MM) {
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
  plan: ScanPlan, out: Uint32Array, stats: Float64Array, c: ResolvedConfig, scanSleepMs: number,
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
