/** `khugesim check-trace` as text: per wake-up real against simulated rows, then one summary line. */
import type { PmdRow, TraceCheck } from "../run/trace_check.ts";
import { columns } from "./format.ts";

function signed(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(6)}` : "-";
}

/** A wake-up's rows as runs: "hot1 7×succeeded, hot1 page_pmd_mapped (ref 0, none 0)". */
function runs(rows: readonly PmdRow[]): string {
  const out: string[] = [];
  let last = "", n = 0;
  const flush = () => {
    if (n > 0) out.push(n === 1 ? last : `${n}×${last}`);
  };
  for (const r of rows) {
    const key = `${r.task} ${r.status} (referenced ${r.referenced}, none_or_zero ${r.noneOrZero})`;
    if (key === last) {
      n++;
      continue;
    }
    flush();
    last = key;
    n = 1;
  }
  flush();
  return out.length > 0 ? out.join(", ") : "none";
}

/** The per-wake-up table, then each wake-up's rows (real against simulated where they differ), and the summary line. */
export function formatTraceCheck(c: TraceCheck, tolerance: number): string {
  const rows = [["wake-up", "real s", "simulated s", "error s", "real rows", "simulated rows", "matching"]];
  const notes: string[] = [];
  for (const w of c.wakeups) {
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : "-");
    rows.push([String(w.index), fmt(w.realS), fmt(w.simS), signed(w.errorS), String(w.real.length), String(w.sim.length), String(w.matched)]);
    const real = runs(w.real), sim = runs(w.sim);
    notes.push(real === sim ? `  wake-up ${w.index}: ${real}` : `  wake-up ${w.index}: real ${real}\n  ${" ".repeat(String(w.index).length + 9)}simulated ${sim}`);
    if (w.mismatch !== null) notes.push(`    line ${w.mismatch.line}: ${w.mismatch.why}`);
  }
  const pct = c.rows === 0 ? 100 : (100 * c.matched) / c.rows;
  const verdict = c.failure === null ? "OK" : `FAIL at line ${c.failure.line}: ${c.failure.why}`;
  const summary = `check-trace: ${c.matched}/${c.rows} rows match (${pct.toFixed(1)} %), ${c.wakeups.length} wake-ups, ` +
    `largest start error ${c.maxErrorS.toFixed(6)} s (${(c.maxRelError * 100).toFixed(2)} %, tolerance ${(tolerance * 100).toFixed(2)} %): ${verdict}`;
  return [columns(rows, { gap: 2 }), ...(notes.length > 0 ? ["", ...notes] : []), "", summary].join("\n") + "\n";
}
