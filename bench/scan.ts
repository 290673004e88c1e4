/**
 * Scan-core speed: the TypeScript twin, the WASM scalar core and the WASM SIMD core, in
 * PTEs per second, on a cache-resident set (64 PMDs) and on a 256 MiB page-table set
 * (65536 PMDs), plus the read limit: plain SIMD code summing the same 256 MiB. The
 * measurement is the library's runScanBench (`khugesim bench scan`), with the v8
 * lazy-free skip on. Writes bench/results/scan.json.
 *
 * Usage: npm run bench:scan
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { runScanBench } from "../host/bench/scan_bench.ts";
import { createCore } from "../host/node/load_core.ts";

const MiB = 1024 * 1024;
const { memory, core } = await createCore({ maxBytes: 288 * MiB });

const rate: Record<string, Record<string, number>> = { cacheResident: {}, large: {} };
for (const [key, set] of [["cacheResident", "cache"], ["large", "256MiB"]] as const) {
  const mark = memory.usedBytes;
  const r = await runScanBench(core, memory, { set, variant: "lazyfree-skip", maxTime: 3 });
  for (const [engine, x] of Object.entries(r.engines)) rate[key][engine] = x.ptesPerS;
  if (key === "large") rate.large.readLimit = r.readLimit.ptesPerS;
  console.log(`${set}: ${Object.entries(r.engines).map(([e, x]) => `${e} ±${x.rme.toFixed(1)} %`).join(", ")}`);
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
  large: { "wasm/ts": ratio(rate.large.wasm, rate.large.ts), "simd/ts": ratio(rate.large.simd, rate.large.ts),
    "simd/readLimit": ratio(rate.large.simd, rate.large.readLimit) },
});

const results = {
  cacheResident: { ts: rate.cacheResident.ts, wasm: rate.cacheResident.wasm, simd: rate.cacheResident.simd },
  large: { ts: rate.large.ts, wasm: rate.large.wasm, simd: rate.large.simd, readLimit: rate.large.readLimit },
  cores: os.cpus().length,
  node: process.version,
};
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("scan.json", out), JSON.stringify(results, null, 2) + "\n");
console.log(`Wrote bench/results/scan.json`);
