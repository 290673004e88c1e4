/**
 * A sweep's results summed up: one row per point of the grid (its runs over the seeds),
 * with each figure's mean over the seeds whose run succeeded, as a text table and as CSV.
 */
import { columns, roundTo } from "../report/format.ts";
import { csvField } from "../report/series_csv.ts";
import { type RunPoint, runKey } from "./run_point.ts";
import type { SweepRecord } from "./sweep_record.ts";

/** The figures summed up: per task, then for khugepaged as a whole. */
const TASK_FIGURES = ["cyclesPerAccess", "collapses"] as const;
const KHUGEPAGED_FIGURES = ["pagesCollapsed", "wakeups"] as const;

/** One point of the grid over its seeds. */
export interface SummaryRow {
  point: Omit<RunPoint, "key" | "seed">;
  /** Runs with a result, and runs that failed. */
  runs: number;
  failed: number;
  /** Each figure's mean over the runs with a result, in `SweepSummary.figures` order; null without one. */
  means: Array<number | null>;
}

export interface SweepSummary {
  /** The tunables' paths, sorted, that any run sets. */
  tunables: string[];
  /** Figure names: `hot2.cyclesPerAccess`, …, `khugepaged.pagesCollapsed`. */
  figures: string[];
  rows: SummaryRow[];
}

type TaskJson = Record<string, number | null>;

/** The tasks of the results, in order of first appearance. */
function taskNames(records: readonly SweepRecord[]): string[] {
  const names = new Set<string>();
  for (const r of records) for (const t of Object.keys(r.result?.tasks ?? {})) names.add(t);
  return [...names];
}

function figureOf(r: SweepRecord, figure: string): number | null {
  const dot = figure.lastIndexOf(".");
  const [owner, name] = [figure.slice(0, dot), figure.slice(dot + 1)];
  const from = owner === "khugepaged" ? r.result?.khugepaged : r.result?.tasks[owner];
  const v = (from as TaskJson | undefined)?.[name];
  return typeof v === "number" ? v : null;
}

/**
 * Sum up `records` (in canonical order, as a sweep's output holds them): a row per point,
 * in the same order.
 *
 * @example
 * const s = summarizeSweep(parseRecords(text, "out.jsonl").lines.map((l) => l.record));
 */
export function summarizeSweep(records: readonly SweepRecord[]): SweepSummary {
  const figures = [
    ...taskNames(records).flatMap((t) => TASK_FIGURES.map((f) => `${t}.${f}`)),
    ...KHUGEPAGED_FIGURES.map((f) => `khugepaged.${f}`),
  ];
  const groups = new Map<string, { point: SummaryRow["point"]; runs: SweepRecord[] }>();
  for (const r of records) {
    const point = { scenario: r.scenario, variant: r.variant, tunables: r.tunables };
    const key = runKey({ ...point, seed: 0 });
    const g = groups.get(key) ?? { point, runs: [] };
    g.runs.push(r);
    groups.set(key, g);
  }
  const rows = [...groups.values()].map(({ point, runs }): SummaryRow => {
    const ok = runs.filter((r) => r.error === undefined);
    const means = figures.map((f) => {
      const values = ok.map((r) => figureOf(r, f)).filter((v): v is number => v !== null);
      return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
    });
    return { point, runs: ok.length, failed: runs.length - ok.length, means };
  });
  const tunables = [...new Set(records.flatMap((r) => Object.keys(r.tunables)))].sort();
  return { tunables, figures, rows };
}

/** A mean as a table or CSV shows it: four decimals at most, "" for none. */
function cell(v: number | null): string {
  return v === null ? "" : String(roundTo(v, 4));
}

/** The columns naming a row's point: scenario, variant, then the tunables by path. */
function pointCells(s: SweepSummary, row: SummaryRow): string[] {
  return [row.point.scenario, row.point.variant, ...s.tunables.map((t) => String(row.point.tunables[t] ?? ""))];
}

/** The summary as a text table: a row per point, the means over its seeds. */
export function summaryTable(s: SweepSummary): string {
  const head = ["scenario", "variant", ...s.tunables.map((t) => t.slice(t.lastIndexOf("/") + 1)), "runs", "failed", ...s.figures];
  const body = s.rows.map((r) => [...pointCells(s, r), String(r.runs), String(r.failed), ...r.means.map(cell)]);
  return columns([head, ...body], { gap: 2 }) + "\n";
}

/** The summary as CSV (RFC 4180, LF line ends as the series CSV): the table's columns, tunables by their full path. */
export function summaryCsv(s: SweepSummary): string {
  const head = ["scenario", "variant", ...s.tunables, "runs", "failed", ...s.figures];
  const body = s.rows.map((r) => [...pointCells(s, r), String(r.runs), String(r.failed), ...r.means.map(cell)]);
  return [head, ...body].map((row) => row.map(csvField).join(",") + "\n").join("");
}
