/**
 * The comparison `khugesim compare` prints: per task the patch's table (total accesses
 * time, cycles per access, throughput, dTLB-load-misses; one column per variant and the
 * change from the first), then when khugepaged collapsed each task's memory, what its
 * PMD scans found, and whether any lazy-free memory was collapsed.
 */
import type { CompareResult } from "../run/compare.ts";
import type { AccessReport, GeneratedResult, RunResult, TaskResult } from "../run/result.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { columns, percentChange, seconds1, withCommas } from "./format.ts";
import { formatPassCollapses, hasMthpReport, thpRows } from "./mthp_report.ts";
import { type CostModelName, lineErrorBand } from "../tlb/cost_band.ts";

/** The figures the table shows for a task: its measurement phase, or all its accesses. */
export function headline(t: TaskResult): AccessReport | null {
  return t.measurement ?? t.perf;
}

/** One line naming the run's settings. */
export function runSettings(r: RunResult): string {
  return `seed ${r.seed}, TLB ${r.tlb}, cost model ${r.costModel}, TLB ${r.tlbMode === "exact" ? "simulated exactly" : "sampled"}`;
}

/**
 * Which figures of `results` are sampled and how far off they may be, or null when
 * every access was simulated: the TLB's walks per access, with the largest standard
 * error of any task's, and what is computed from them.
 */
export function samplingNote(results: RunResult[]): string | null {
  if (results.every((r) => r.tlbMode === "exact")) return null;
  const errors = results.flatMap((r) => r.tasks.flatMap((t) => [t.perf, t.measurement]))
    .map((a) => a?.walksPerAccessStdError ?? 0);
  return `Sampled: walks per access (one standard error at most ${Math.max(0, ...errors).toFixed(4)}) and the times, ` +
    "cycles per access, throughput and dTLB-load-misses computed from them; everything else is exact (--exact: all of it).";
}

/**
 * When khugepaged collapsed a task's (or a generated mm's) memory: "64 PMDs, 80.0 s – 150.0 s" or "none";
 * `what` names the unit (an mTHP run counts each folio a collapse made: "folio").
 */
export function collapseSpan(t: Pick<TaskResult | GeneratedResult, "collapses"> | undefined, what = "PMD"): string {
  if (!t || t.collapses.count === 0) return "none";
  const c = t.collapses;
  const n = `${c.count} ${what}${c.count === 1 ? "" : "s"}`;
  return c.firstS === c.lastS ? `${n} at ${seconds1(c.firstS!)}` : `${n}, ${seconds1(c.firstS!)} – ${seconds1(c.lastS!)}`;
}

/** The names in `lists` in order of first appearance. */
function namesInOrder(lists: ReadonlyArray<ReadonlyArray<{ name: string }>>): string[] {
  return [...new Set(lists.flatMap((list) => list.map((x) => x.name)))];
}

/** Task names in order of first appearance over all runs. */
export function taskNames(results: RunResult[]): string[] {
  return namesInOrder(results.map((r) => r.tasks));
}

/** "baseline: no" or "lazyfree-skip: yes, 2,048 kB": whether a variant collapsed lazy-free memory. */
function lazyfreeVerdict(variant: string, kb: number): string {
  return `${variant}: ${kb === 0 ? "no" : `yes, ${withCommas(kb)} kB`}`;
}

function taskTable(name: string, results: RunResult[]): string {
  const tasks = results.map((r) => r.tasks.find((t) => t.name === name));
  const heads = tasks.map((t) => (t ? headline(t) : null));
  const perfs = tasks.map((t) => t?.perf ?? null);
  if (heads.every((h) => h === null)) return `${name}: no accesses`;
  const band = lineErrorBand(results[0].costModel as CostModelName);
  const pm = (x: number) => ` (±${Math.ceil(100 * x)} %)`;
  const header = [name, ...results.map((r) => getVariant(r.variant).column ?? r.variant), ...results.slice(1).map(() => "delta")];
  const sub = ["", ...results.map((r) => `(${r.variant})`), ...results.slice(1).map((r) => (results.length > 2 ? `(${r.variant})` : ""))];
  const row = (label: string, pick: (i: number) => number | null, show: (x: number) => string): string[] => {
    const values = results.map((_, i) => pick(i));
    return [
      label,
      ...values.map((v) => (v === null ? "-" : show(v))),
      ...values.slice(1).map((v) => (v === null || values[0] === null ? "-" : percentChange(values[0], v))),
    ];
  };
  return columns([
    header,
    sub,
    row("total accesses time", (i) => heads[i]?.seconds ?? null, (x) => `${x.toFixed(2)} s`),
    row(`cycles per access${pm(band.cycles)}`, (i) => heads[i]?.cyclesPerAccess ?? null, (x) => x.toFixed(2)),
    row(`throughput${pm(band.throughput)}`, (i) => heads[i]?.throughputMps ?? null, (x) => `${x.toFixed(2)} M/s`),
    row("dTLB-load-misses", (i) => perfs[i]?.dtlbLoadMisses ?? null, withCommas),
  ]);
}

function smallAtMeasure(r: RunResult, task: string): number | null {
  return r.tasks.find((t) => t.name === task)?.smallPmdsAtMeasure ?? null;
}

/** Largest LazyFree a task showed in any interval of a run, in kB. */
function maxLazyFreeKb(r: RunResult, task: string): number {
  let max = 0;
  for (const p of r.series) max = Math.max(max, p.tasks[task]?.lazyFreeKb ?? 0);
  return max;
}

/** The whole comparison as text. */
export function formatComparison(c: CompareResult): string {
  const results = c.results;
  const names = taskNames(results);
  const out: string[] = [];
  out.push(`${c.scenario}: ${c.variants.join(" vs ")} (${runSettings(results[0])})`);
  const note = samplingNote(results);
  if (note !== null) out.push(note);
  if (names.length > 0) {
    out.push("Times, cycles and throughput are each task's measurement phase; dTLB-load-misses is perf stat over the whole task.");
    const band = lineErrorBand(results[0].costModel as CostModelName);
    out.push(`Cycles and throughput come from the ${results[0].costModel} cost model; ± is its largest error on ${band.heldOut}, held out of its fit.`);
  }
  for (const name of names) out.push("", taskTable(name, results));

  out.push("");
  const mthp = hasMthpReport(results);
  const rows: string[][] = [["khugepaged collapses", ...results.map((r) => r.variant)]];
  for (const name of names) {
    rows.push([name, ...results.map((r) => collapseSpan(r.tasks.find((t) => t.name === name), mthp ? "folio" : "PMD"))]);
  }
  for (const name of namesInOrder(results.map((r) => r.generated ?? []))) {
    rows.push([`${name} (generated)`, ...results.map((r) => collapseSpan(r.generated?.find((g) => g.name === name)))]);
  }
  for (const name of namesInOrder(results.map((r) => r.imported ?? []))) {
    rows.push([`${name} (imported)`, ...results.map((r) => collapseSpan(r.imported?.find((g) => g.name === name)))]);
  }
  for (const name of names.filter((n) => results.some((r) => smallAtMeasure(r, n) !== null))) {
    rows.push([`${name}: 4 KiB PMDs when measured`, ...results.map((r) => String(smallAtMeasure(r, name) ?? "-"))]);
  }
  rows.push(["full scans / pages collapsed", ...results.map((r) => `${r.khugepaged.fullScans} / ${r.khugepaged.pagesCollapsed}`)]);
  // Each variant names results as its kernel's trace does, so a name may be one variant's only.
  for (const result of new Set(results.flatMap((r) => Object.keys(r.khugepaged.scanResults)))) {
    rows.push([`scan result ${result}`, ...results.map((r) => String(r.khugepaged.scanResults[result] ?? 0))]);
  }
  if (mthp) rows.push(...thpRows(names, results));
  out.push(columns(rows, { alignRight: false }));
  if (mthp) out.push("", formatPassCollapses(results));

  const lazy = names.filter((n) => results.some((r) => maxLazyFreeKb(r, n) > 0));
  if (lazy.length > 0) {
    out.push("");
    for (const name of lazy) {
      const verdicts = results.map((r) =>
        lazyfreeVerdict(r.variant, r.tasks.find((t) => t.name === name)?.collapses.lazyfreeKb ?? 0));
      out.push(`${name}'s lazy-free memory collapsed by khugepaged? ${verdicts.join("; ")}`);
    }
  }
  // The generated map has no time series to show its lazy-free memory; one line for all its mms.
  if (results.some((r) => r.generated?.some((g) => g.collapses.lazyfreeKb > 0))) {
    const verdicts = results.map((r) =>
      lazyfreeVerdict(r.variant, (r.generated ?? []).reduce((sum, g) => sum + g.collapses.lazyfreeKb, 0)));
    out.push("", `The generated map's lazy-free memory collapsed by khugepaged? ${verdicts.join("; ")}`);
  }
  return out.join("\n") + "\n";
}
