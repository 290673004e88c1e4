/**
 * Scan-core speed: the TypeScript twin, the WASM scalar core and the WASM SIMD core, in
 * PTEs per second, on a cache-resident set (64 PMDs) and on a 256 MiB page-table set
 * (65536 PMDs), plus the read limit: plain SIMD code summing the same 256 MiB. The
 * measurement is the library's runScanBench (`khugesim bench scan`), with the v8
 * lazy-free skip on (7.1); the 256 MiB set again under 7.2's mTHP scan (the occupied
 * bitmap and every window judged), beside its own read limit measured in that run.
 * Writes bench/results/scan.json.
 *
 * Usage: npm run bench:scan
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { runScanBench } from "../host/bench/scan_bench.ts";
import { createCore } from "../host/node/load_core.ts";

const MiB = 1024 * 1024;
const { memory, core } = await createCore({ maxBytes: 288 * MiB });

const rate: Record<string, Record<string, number>> = { cacheResident: {}, large: {}, largeMthpScan: {} };
const runs = [["cacheResident", "cache", "lazyfree-skip"], ["large", "256MiB", "lazyfree-skip"], ["largeMthpScan", "256MiB", "7.2"]] as const;
for (const [key, set, variant] of runs) {
  const mark = memory.usedBytes;
  const r = await runScanBench(core, memory, { set, variant, maxTime: 3 });
  for (const [engine, x] of Object.entries(r.engines)) rate[key][engine] = x.ptesPerS;
  if (key !== "cacheResident") rate[key].readLimit = r.readLimit.ptesPerS;
  console.log(`${set} ${variant}: ${Object.entries(r.engines).map(([e, x]) => `${e} ±${x.rme.toFixed(1)} %`).join(", ")}`);
  memory.rewind(mark);
}

const M = (x: number) => `${(x / 1e6).toFixed(0)} M`;
console.table(Object.fromEntries(Object.entries(rate).map(([set, r]) => [set, Object.fromEntries(
  Object.entries(r).map(([k, v]) => [`${k} PTE/s`, M(v)]),
)])));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.table({
  cacheResident: { "wasm/ts": ratio(rate.cacheResident.wasm, rate.cacheResident.ts),
    "simd/ts": ratio(rate.cacheResident.simd, rate.cacheResident.ts) },
  ...Object.fromEntries((["large", "largeMthpScan"] as const).map((key) => [key, {
    "wasm/ts": ratio(rate[key].wasm, rate[key].ts), "simd/ts": ratio(rate[key].simd, rate[key].ts),
    "simd/readLimit": ratio(rate[key].simd, rate[key].readLimit),
  }])),
});

const results = {
  cacheResident: { ts: rate.cacheResident.ts, wasm: rate.cacheResident.wasm, simd: rate.cacheResident.simd },
  large: { ts: rate.large.ts, wasm: rate.large.wasm, simd: rate.large.simd, readLimit: rate.large.readLimit },
  largeMthpScan: {
    ts: rate.largeMthpScan.ts, wasm: rate.largeMthpScan.wasm, simd: rate.largeMthpScan.simd, readLimit: rate.largeMthpScan.readLimit,
  },
  cores: os.cpus().length,
  node: process.version,
};
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("scan.json", out), JSON.stringify(results, null, 2) + "\n");
console.log(`Wrote bench/results/scan.json`);
