/**
 * The per-interval time series as CSV, one row per variant, sample time and task. Fields
 * are quoted as RFC 4180 says: a field holding a comma, a double quote or a line break is
 * put in double quotes, its double quotes doubled. Lines end in LF.
 */
import { sortThpCounters } from "../mm/thp_counters.ts";
import type { RunResult } from "../run/result.ts";

const HEADER = [
  "variant", "timeS", "task", "anonHugePagesKb", "rssKb", "lazyFreeKb", "swapKb", "accesses", "dtlbLoadMisses",
  "cyclesPerAccess", "fullScans", "pagesCollapsed",
];

/** `value` as one CSV field. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV text of the series of `results`. When the scenario turns an mTHP size on, a column
 * per thpmaps counter (kB) that any sample of any variant has follows, in thpmaps' order.
 */
export function seriesCsv(results: RunResult[]): string {
  const thp = Object.keys(sortThpCounters(Object.assign({}, ...results.flatMap((r) =>
    r.series.flatMap((p) => Object.values(p.tasks).map((s) => s.thp ?? {}))))));
  const lines = [[...HEADER, ...thp].join(",")];
  for (const r of results) {
    for (const p of r.series) {
      for (const [task, s] of Object.entries(p.tasks)) {
        lines.push([
          r.variant, p.timeS.toFixed(6), task, s.anonHugePagesKb, s.rssKb, s.lazyFreeKb, s.swapKb, s.accesses,
          s.dtlbLoadMisses, s.cyclesPerAccess === null ? "" : s.cyclesPerAccess.toFixed(4), p.khugepaged.fullScans,
          p.khugepaged.pagesCollapsed, ...thp.map((c) => s.thp?.[c] ?? 0),
        ].map(csvField).join(","));
      }
    }
  }
  return lines.join("\n") + "\n";
}
