/**
 * The parts cost model's calibration (host/tlb/cost_calibration.ts) on the paper's rows and
 * this machine's measurements (bench/results/access_cost.json, from bench/access_cost.ts):
 * predicted against measured for every point, fitted or held out, under each assumption
 * about this machine's host pages. Local points use each configuration's least disturbed
 * run (its minimum): the machine is shared, and a disturbance only adds ticks. Prints a
 * table and writes bench/results/cost_calibration.json.
 *
 * Usage: tsx bench/cost_calibration.ts   (after tsx bench/access_cost.ts)
 */
import { readFile, writeFile } from "node:fs/promises";
import { columns } from "../host/report/format.ts";
import { calibrate, calibrationPoints, type LocalTicks } from "../host/tlb/cost_calibration.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";

const RESULTS = new URL("results/", import.meta.url);
const measured = JSON.parse(await readFile(new URL("access_cost.json", RESULTS), "utf8"));
const tick = (key: string): number => measured.points[key].minTicks;
const local: LocalTicks = {
  random: { "4k": tick("random/4k"), thp: tick("random/thp") },
  stride: { "4k": tick("stride/4k"), thp: tick("stride/thp") },
};
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} %`;
const out: Record<string, unknown> = { measuredAt: measured.date, local };
for (const host of ["nested-4k", "nested-2m"] as const) {
  const c = calibrate(calibrationPoints(local, virtualizationOf(host)), createTlbRef);
  console.log(`\nThis machine as a KVM guest on ${host.slice(7)} host pages: mlp ${c.params.mlp.toFixed(2)}, bases ` +
    Object.entries(c.params.base).map(([g, b]) => `${g} ${b.toFixed(2)}`).join(", ") +
    `; held-out error ±${(100 * c.heldOutError).toFixed(1)} %`);
  console.log(columns([
    ["point", "", "walks/access", "refs/walk", "measured", "predicted", "error"],
    ...c.rows.map((r) => [
      r.label, r.inFit ? "fitted" : "held out", r.inputs.walksPerAccess.toFixed(3), r.inputs.refsPerWalk.toFixed(2),
      r.measuredTicks.toFixed(2), r.predictedTicks.toFixed(2), pct(r.error),
    ]),
  ]));
  out[host] = c;
}
await writeFile(new URL("cost_calibration.json", RESULTS), JSON.stringify(out, null, 2) + "\n");
console.log("\nWrote bench/results/cost_calibration.json");
