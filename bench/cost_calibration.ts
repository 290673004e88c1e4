/**
 * The parts cost model's calibration (host/tlb/cost_calibration.ts) on the paper's rows and
 * this machine's measurements (bench/results/access_cost.json, from bench/access_cost.ts):
 * predicted against measured for every point, fitted or held out, under each assumption
 * about this machine's host pages. Prints the tables and writes
 * bench/results/cost_calibration.json.
 *
 * Usage: tsx bench/cost_calibration.ts   (after tsx bench/access_cost.ts)
 */
import { readFile, writeFile } from "node:fs/promises";
import { localTicks } from "../host/node/access_measure.ts";
import { formatCalibration } from "../host/report/calibration_table.ts";
import { calibrate, calibrationPoints } from "../host/tlb/cost_calibration.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";

const RESULTS = new URL("results/", import.meta.url);
const measured = JSON.parse(await readFile(new URL("access_cost.json", RESULTS), "utf8"));
const local = localTicks(measured);
const out: Record<string, unknown> = { measuredAt: measured.date, local };
for (const host of ["nested-4k", "nested-2m"] as const) {
  const c = calibrate(calibrationPoints(local, virtualizationOf(host)), createTlbRef);
  console.log(`\n${formatCalibration(`This machine as a KVM guest on ${host.slice(7)} host pages`, c)}`);
  out[host] = c;
}
await writeFile(new URL("cost_calibration.json", RESULTS), JSON.stringify(out, null, 2) + "\n");
console.log("Wrote bench/results/cost_calibration.json");
