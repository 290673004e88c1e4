/** `compare --band`: each task's figures over the band's runs, min – max. */
import type { Band } from "../run/band.ts";
import { columns, withCommas } from "./format.ts";

function range(r: [number, number] | null, show: (x: number) => string): string {
  if (r === null) return "-";
  return r[0] === r[1] ? show(r[0]) : `${show(r[0])} – ${show(r[1])}`;
}

/** The band as text. */
export function formatBand(b: Band): string {
  const rows = [["", "dTLB-load-misses", "cycles per access", "4 KiB PMDs when measured"]];
  for (const [name, t] of Object.entries(b.tasks)) {
    rows.push([name, range(t.dtlbLoadMisses, withCommas), range(t.cyclesPerAccess, (x) => x.toFixed(2)), range(t.smallPmdsAtMeasure, String)]);
  }
  return `Band of ${b.variant}: ${b.runs} runs, ${b.phases} timer-grid phases over one granule of the scan sleep's wheel level, ` +
    `each with the measured collapse cost and with 9 ms per collapse:\n${columns(rows, { gap: 3 })}\n`;
}
