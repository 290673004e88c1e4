/** `khugesim check-trace` as text: per wake-up real against simulated rows, then one summary line. */
import type { TraceCheck } from "../run/trace_check.ts";
import { columns } from "./format.ts";

function signed(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(6)}` : "-";
}

/** The per-wake-up table, each mismatch under its wake-up, and the summary line. */
export function formatTraceCheck(c: TraceCheck, tolerance: number): string {
  const rows = [["wake-up", "real s", "simulated s", "error s", "real rows", "simulated rows", "matching"]];
  const notes: string[] = [];
  for (const w of c.wakeups) {
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : "-");
    rows.push([String(w.index), fmt(w.realS), fmt(w.simS), signed(w.errorS), String(w.real.length), String(w.sim.length), String(w.matched)]);
    if (w.mismatch !== null) notes.push(`  line ${w.mismatch.line}: wake-up ${w.index}: ${w.mismatch.why}`);
  }
  const pct = c.rows === 0 ? 100 : (100 * c.matched) / c.rows;
  const verdict = c.failure === null ? "OK" : `FAIL at line ${c.failure.line}: ${c.failure.why}`;
  const summary = `check-trace: ${c.matched}/${c.rows} rows match (${pct.toFixed(1)} %), ${c.wakeups.length} wake-ups, ` +
    `largest start error ${c.maxErrorS.toFixed(6)} s (${(c.maxRelError * 100).toFixed(2)} %, tolerance ${(tolerance * 100).toFixed(2)} %): ${verdict}`;
  return [columns(rows, { gap: 2 }), ...(notes.length > 0 ? ["", ...notes] : []), "", summary].join("\n") + "\n";
}
