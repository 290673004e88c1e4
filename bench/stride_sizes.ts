/**
 * The page stride's ticks per access against its buffer's size (bench/native/access_cost.c):
 * `stride` (the line at offset 0 of every 4 KiB page, as the cost model's stride points) and
 * `spread` (line k mod 64 of the k-th page: the same walks and as many lines, over every
 * set of the caches), over 4 KiB pages and THPs, 2 MiB to 1 GiB, REPS runs of each
 * interleaved, each run's median round, the least disturbed run taken. Where a page-aligned
 * sweep leaves the L3 against a spread one is the evidence for the stride's share of the L3's
 * sets (cost_parts.ts, Sweep). Writes bench/results/stride_sizes.json.
 *
 * Usage: tsx bench/stride_sizes.ts [REPS] [ROUNDS]   (defaults 3 and 200)
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { runAccessCost, withAccessCost } from "../host/node/access_measure.ts";

const SIZES_MIB = [2, 8, 32, 64, 128, 160, 192, 256, 384, 512, 1024];
const reps = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 200);
for (const [name, v] of [["REPS", reps], ["ROUNDS", rounds]] as const) {
  if (!(Number.isSafeInteger(v) && v > 0)) {
    console.error(`stride_sizes: ${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
}
const loadBefore = os.loadavg()[0];
const lowest = new Map<string, number>();
withAccessCost((binary) => {
  for (let r = 0; r < reps; r++) {
    for (const mib of SIZES_MIB) {
      for (const pattern of ["stride", "spread"]) {
        for (const pages of ["4k", "thp"]) {
          const key = `${pattern}/${pages}/${mib}mib`;
          const t = runAccessCost(binary, pattern, pages, mib, rounds).medianRoundTicksPerAccess;
          lowest.set(key, Math.min(t, lowest.get(key) ?? Infinity));
        }
      }
    }
  }
});
const table = SIZES_MIB.map((mib) => [mib, ...["stride/4k", "stride/thp", "spread/4k", "spread/thp"].map((k) => lowest.get(`${k}/${mib}mib`)!)]);
console.log("MiB   stride 4k  stride THP  spread 4k  spread THP");
for (const row of table) console.log(row.map((v, i) => (i === 0 ? String(v).padEnd(5) : v.toFixed(2).padStart(10))).join(" "));
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("stride_sizes.json", out), JSON.stringify({
  command: `tsx bench/stride_sizes.ts ${reps} ${rounds}`, date: new Date().toISOString(), reps,
  loadAverage1m: [loadBefore, os.loadavg()[0]], ticks: Object.fromEntries(lowest),
}, null, 2) + "\n");
console.log("Wrote bench/results/stride_sizes.json");
