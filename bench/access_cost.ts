/**
 * Ticks per access on this machine (host/node/access_measure.ts, bench/native/access_cost.c):
 * the seed's phase-B loop and a page-stride read-modify-write, over THPs and 4 KiB pages,
 * REPS runs of each interleaved. Writes bench/results/access_cost.json (median, min and max
 * of each) for the cost model's calibration (bench/cost_calibration.ts).
 *
 * Usage: tsx bench/access_cost.ts [REPS] [ROUNDS]   (defaults 11 and 300)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { measureAccessCost } from "../host/node/access_measure.ts";

const reps = Number(process.argv[2] ?? 11);
const rounds = Number(process.argv[3] ?? 300);
for (const [name, v] of [["REPS", reps], ["ROUNDS", rounds]] as const) {
  if (!(Number.isSafeInteger(v) && v > 0)) {
    console.error(`access_cost: ${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
}
const m = measureAccessCost(reps, rounds, (key, ticks) => console.log(`${key}: ${ticks.toFixed(2)} ticks/access`));
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("access_cost.json", out), JSON.stringify({ command: `tsx bench/access_cost.ts ${reps} ${rounds}`, ...m }, null, 2) + "\n");
console.log("Wrote bench/results/access_cost.json");
