/** A finished run read into its RunResult: per task, per generated mm, khugepaged's counters, vmstat and the trace. */
import type { MthpStat, MthpStats } from "../kernel/mthp_stats.ts";
import { sizeDir, THP_SIZES_KB } from "../kernel/thp_sizes.ts";
import { SCAN_RESULTS } from "../core/scan_result.ts";
import type { Variant } from "../kernel/variant.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { anonHugePagesKb, smapsRollup } from "../mm/smaps.ts";
import { thpCountersKb } from "../mm/thp_counters.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import type { TlbPreset } from "../tlb/presets.ts";
import type { CollapseLog, CollapseStats } from "./collapse_log.ts";
import type { PassCollapses } from "./pass_collapses.ts";
import type { CollapseSummary, GeneratedResult, RunResult, SeriesPoint, TaskResult } from "./result.ts";
import type { TaskRun } from "./task_run.ts";
import type { WakeupRow } from "./wakeup_log.ts";
import { costPresetOf } from "../scenario/cost_preset_schema.ts";

/** What the run leaves behind to read. */
export interface FinishedRun {
  scenario: Scenario;
  k: KhugepagedKernel;
  preset: TlbPreset;
  exact: boolean;
  endNs: number;
  tasks: readonly TaskRun[];
  generated: ReadonlyArray<{ mm: Mm; initialAnonHugePagesKb: number }>;
  imported: ReadonlyArray<{ mm: Mm; initialAnonHugePagesKb: number }>;
  collapses: CollapseLog;
  /** khugepaged's collapses by pass and size when the scenario turns an mTHP size on (with thpmaps' counters); else null. */
  passCollapses: PassCollapses[] | null;
  series: SeriesPoint[];
  wakeups: WakeupRow[];
}

/** The RunResult of a finished run. */
export function readResults(run: FinishedRun): RunResult {
  const { scenario, k, collapses } = run;
  const taskResults: TaskResult[] = run.tasks.map((t) => {
    const m = smapsRollup(t.mm!);
    return {
      name: t.name,
      pid: t.mm!.id,
      parent: t.parent?.name ?? null,
      startS: t.startNs / 1e9,
      endS: t.endNs === null ? null : t.endNs / 1e9,
      exited: t.exited,
      perf: t.perf.report(),
      measurement: t.measurement.report(),
      memory: {
        anonHugePagesKb: m.AnonHugePages, rssKb: m.Rss, lazyFreeKb: m.LazyFree, swapKb: m.Swap,
        ...(run.passCollapses !== null ? { thp: thpCountersKb(t.mm!) } : {}),
      },
      collapses: collapseSummary(collapses.stats(t.name)),
      madviseCollapse: t.madviseCollapse,
      smallPmdsAtMeasure: t.smallPmdsAtMeasure,
    };
  });
  const mapResults = (list: FinishedRun["generated"]): GeneratedResult[] => list.map(({ mm, initialAnonHugePagesKb }) => ({
    name: mm.name,
    pid: mm.id,
    initialAnonHugePagesKb,
    anonHugePagesKb: anonHugePagesKb(mm),
    collapses: collapseSummary(collapses.stats(mm.name)),
  }));
  return {
    scenario: scenario.name,
    variant: k.variant.name,
    seed: scenario.seed,
    tlb: run.preset.name,
    ...costModelNaming(scenario),
    tlbMode: run.exact ? "exact" : "sample",
    endS: run.endNs / 1e9,
    tasks: taskResults,
    ...(scenario.generate !== undefined ? { generated: mapResults(run.generated) } : {}),
    ...(scenario.import !== undefined ? { imported: mapResults(run.imported) } : {}),
    khugepaged: {
      fullScans: k.khugepaged.fullScans, pagesCollapsed: k.khugepaged.pagesCollapsed, wakeups: k.khugepaged.wakeups,
      scanResults: scanResultCounts(k.khugepaged.scanResults, k.variant),
      // Absent before 7.2 and without log lines, so that other runs serialize as they always have.
      ...(k.variant.mthpCollapse ? { mthpStats: nonZeroMthpStats(k.mthpStats) } : {}),
      ...(k.dmesg.length > 0 ? { dmesg: [...k.dmesg] } : {}),
      ...(run.passCollapses !== null ? { collapsesByPass: run.passCollapses } : {}),
    },
    vmstat: { ...k.vmstat },
    hz: k.jiffies.hz,
    wakeups: run.wakeups,
    series: run.series,
    trace: k.tracer.ftrace(),
  };
}

/** The per-size fault and collapse counters by "hugepages-<N>kB", sizes and counters at 0 left out. */
function nonZeroMthpStats(stats: MthpStats): Record<string, Partial<Record<MthpStat, number>>> {
  const out: Record<string, Partial<Record<MthpStat, number>>> = {};
  for (const kb of THP_SIZES_KB) {
    const set = Object.entries(stats[kb]).filter(([, n]) => n > 0);
    if (set.length > 0) out[sizeDir(kb)] = Object.fromEntries(set);
  }
  return out;
}

/** Counts by result code as counts by the variant's trace string, in SCAN_RESULTS order, without zeros. */
function scanResultCounts(counts: readonly number[], variant: Variant): Record<string, number> {
  const out: Record<string, number> = {};
  SCAN_RESULTS.forEach((_, code) => {
    if (counts[code] > 0) out[variant.traceString(code)] = counts[code];
  });
  return out;
}

/** A task's (or a generated mm's) collapses in seconds and kB. */
function collapseSummary(c: CollapseStats): CollapseSummary {
  return {
    count: c.count,
    firstS: c.firstNs === null ? null : c.firstNs / 1e9,
    lastS: c.lastNs === null ? null : c.lastNs / 1e9,
    lazyfreeKb: c.lazyfreePages * 4,
  };
}

/** A result's cost model: the preset's name and error band, else the scenario's costModel. */
function costModelNaming(scenario: Scenario): Pick<RunResult, "costModel" | "costModelError"> {
  const preset = costPresetOf(scenario.machine);
  return preset === null ? { costModel: scenario.costModel } : { costModel: preset.name, costModelError: preset.error };
}
