/**
 * The parts cost model's calibration (host/tlb/cost_calibration.ts) on the paper's rows and
 * this machine's measurements (bench/results/access_cost.json, from bench/access_cost.ts):
 * the host page size its chases show (host_pages.ts), then predicted against measured for
 * every point, fitted or held out, under each assumption about this machine's host pages. Then the presets' check: zen5-kvm-4k (fitted on an
 * earlier measurement, bench/results/zen5_kvm_4k_fit.json) against this fresh measurement,
 * and zen5-bare and zen5-kvm-2m against the paper's rows, each within its stated error or
 * not. Prints the tables and writes bench/results/cost_calibration.json.
 *
 * Usage: tsx bench/cost_calibration.ts   (after tsx bench/access_cost.ts)
 */
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { localTicks } from "../host/node/access_measure.ts";
import { formatCalibration } from "../host/report/calibration_table.ts";
import { columns } from "../host/report/format.ts";
import { calibrate, type CalibrationRow, calibrationPoints, presetRows } from "../host/tlb/cost_calibration.ts";
import { type CostPreset, ZEN5_BARE, ZEN5_KVM_2M, ZEN5_KVM_4K } from "../host/tlb/cost_presets.ts";
import { hostPageEvidence } from "../host/tlb/host_pages.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";

const RESULTS = new URL("results/", import.meta.url);
const measured = JSON.parse(await readFile(new URL("access_cost.json", RESULTS), "utf8"));
const local = localTicks(measured);
const hostPages = hostPageEvidence(local.ticks);
const out: Record<string, unknown> = { measuredAt: measured.date, local, hostPages };
if (hostPages !== null) {
  console.log(`Host pages: a dependent chase over one THP takes ${hostPages.thpTicks.toFixed(2)} ticks a load, over 96 pages ` +
    `${hostPages.fitsTicks.toFixed(2)} (within the L1 DTLB) and over 128 ${hostPages.missesTicks.toFixed(2)}: ` +
    `${hostPages.hostPages === null ? "cannot tell" : `${hostPages.hostPages} host pages`} (${(100 * hostPages.splintered).toFixed(0)} % of the way to splintered)`);
}
for (const host of ["nested-4k", "nested-2m"] as const) {
  const c = calibrate(calibrationPoints(local, virtualizationOf(host)), createTlbRef);
  console.log(`\n${formatCalibration(`This machine as a KVM guest on ${host.slice(7)} host pages`, c)}`);
  out[host] = c;
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} %`;
const points = calibrationPoints(local, virtualizationOf("nested-4k"));
const checks: Array<{ preset: CostPreset; rows: CalibrationRow[] }> = [
  { preset: ZEN5_KVM_4K, rows: presetRows(ZEN5_KVM_4K, points.filter((p) => p.kind.startsWith("local-")), createTlbRef) },
  { preset: ZEN5_BARE, rows: presetRows(ZEN5_BARE, points.filter((p) => p.kind === "paper-bare"), createTlbRef) },
  { preset: ZEN5_KVM_2M, rows: presetRows(ZEN5_KVM_2M, points.filter((p) => p.kind === "paper-guest"), createTlbRef) },
];
const table = [["preset", "point", "measured", "predicted", "error", "within the stated error"]];
const presetCheck = checks.map(({ preset, rows }) => {
  // The stated error is rounded up to a whole percent where a report prints it (±N %).
  const stated = Math.ceil(100 * preset.error.cycles) / 100;
  for (const r of rows) {
    table.push([preset.name, r.label, r.measuredTicks.toFixed(2), r.predictedTicks.toFixed(2), pct(r.error),
      `${Math.abs(r.error) <= stated ? "yes" : "no"} (±${(100 * stated).toFixed(0)} %)`]);
  }
  return { preset: preset.name, statedError: stated, rows, allWithin: rows.every((r) => Math.abs(r.error) <= stated) };
});
const load = (measured.loadAverage1m ?? []).map((l: number) => l.toFixed(1)).join(" → ");
console.log(`\nThe presets against this measurement (zen5-kvm-4k; 1-minute load average ${load || "unrecorded"} on ` +
  `${os.availableParallelism()} cores) and the paper's rows (zen5-bare, zen5-kvm-2m):\n${columns(table)}`);
out.presetCheck = presetCheck;
await writeFile(new URL("cost_calibration.json", RESULTS), JSON.stringify(out, null, 2) + "\n");
console.log("Wrote bench/results/cost_calibration.json");
