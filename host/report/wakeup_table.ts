/** `run --wakeups`: khugepaged's passes as a table, and as JSON rows. */
import type { RunResult } from "../run/result.ts";
import type { WakeupRow } from "../run/wakeup_log.ts";
import { columns, roundTo } from "./format.ts";

/** One variant's passes: wake-up, end of work, CPU, PMDs scanned, budget units, collapses, the mm it ended in. */
export function formatWakeups(r: RunResult): string {
  const rows = [["#", "start s", "end s", "cpu ms", "PMDs", "units", "collapsed", "ended in"]];
  r.wakeups.forEach((w, i) => {
    rows.push([
      String(i + 1), w.startS.toFixed(6), w.endS.toFixed(6), (w.cpuS * 1e3).toFixed(3), String(w.pmds), String(w.progress),
      String(w.collapses), (w.endedIn ?? "(list head)") + (w.allocSlept ? ", slept alloc_sleep_millisecs" : ""),
    ]);
  });
  return `khugepaged wake-ups under ${r.variant} (HZ ${r.hz}):\n${columns(rows, { gap: 2 })}\n`;
}

/** The rows for --json: times to the ns. */
export function wakeupsJson(rows: readonly WakeupRow[]) {
  return rows.map((w) => ({ ...w, startS: roundTo(w.startS, 9), endS: roundTo(w.endS, 9), cpuS: roundTo(w.cpuS, 9) }));
}
