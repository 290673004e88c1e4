/**
 * TLB-model speed: simulated accesses per second of the WASM core, the TypeScript twin
 * and the native C twin (bench/native/tlb.c, when a C compiler is on PATH), uniform
 * random over the seed's 128 MiB region (not 2 MiB aligned), with every PMD of 4 KiB
 * pages on scattered frames (the seed's "without" run), the same on contiguous frames
 * (every group of four coalesces on Zen 5) and with three PMDs in four huge (the "with"
 * run), on both presets. The native twin must count exactly what the WASM core counts from the
 * same seed, or the bench fails. Writes bench/results/tlb.json; its headline numbers are
 * the Zen 5, all-4 KiB case.
 *
 * Usage: npm run bench:tlb
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import Benchmark from "benchmark";
import { createCore } from "../host/node/load_core.ts";
import {
  AccessStream, createTlbRef, GOLDEN_COVE, TaskTlb, type TlbCore, type TlbPreset, wasmTlbCore, ZEN5,
} from "../host/tlb/mod.ts";
import { buildNativeTlb, type NativeCounts, type NativeTlb } from "./native_tlb.ts";
import { benchDirectory } from "./pte_tables.ts";

const REGION_BYTES = 128 * 1024 * 1024;
/** The region starts 37 pages into PMD 1, so it touches 65 PMDs as an unaligned mmap does. */
const REGION = { firstPmd: 1, offset: 37 * 4096, length: REGION_BYTES };
const PMDS = 66;
const SEED = 1;
/** Accesses per benchmark call: enough that a call's fixed cost vanishes. */
const CALL = { wasm: 2 ** 20, ts: 2 ** 17 } as const;
/** Accesses per timed run of the native twin (it takes the best of five): a fraction of a second each. */
const NATIVE_TIMED = 2 ** 24;

const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
const wasm = wasmTlbCore(core.exports);
const cores: TlbCore[] = [wasm, createTlbRef(memory.memory)];

const maps = {
  "4k": benchDirectory(memory, PMDS, () => false, "scattered"),
  "4k-contiguous": benchDirectory(memory, PMDS, () => false, "contiguous"),
  mixed: benchDirectory(memory, PMDS, (i) => i % 4 !== 0, "scattered"),
} as const;
const presets = [ZEN5, GOLDEN_COVE];

function stream(map: keyof typeof maps): AccessStream {
  return new AccessStream(memory, { dir: maps[map], ...REGION }, { kind: "uniform" }, SEED);
}

type Row = { preset: TlbPreset; map: keyof typeof maps; core: TlbCore; accesses: number; fn: () => void };
const rows: Row[] = [];
for (const preset of presets) {
  for (const map of Object.keys(maps) as Array<keyof typeof maps>) {
    for (const c of cores) {
      const tlb = new TaskTlb(memory, c, preset);
      const s = stream(map);
      const accesses = CALL[c.name as keyof typeof CALL];
      tlb.run(s, accesses); // fill the TLB: the benchmark measures the steady state
      rows.push({ preset, map, core: c, accesses, fn: () => void tlb.run(s, accesses) });
    }
  }
}

/**
 * The native twin's accesses per second on every case, after checking that its warm-up
 * run counts exactly what a fresh WASM TLB counts over the same stream: a ratio of
 * speeds means nothing between loops that do different work.
 */
function nativeRates(native: NativeTlb): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const preset of presets) {
    for (const map of Object.keys(maps) as Array<keyof typeof maps>) {
      const name = `${preset.name} ${map}`;
      const s = stream(map);
      const result = native.run(preset, memory, s, CALL.wasm, NATIVE_TIMED);
      const counts = new TaskTlb(memory, wasm, preset).run(s, CALL.wasm);
      const keys = Object.keys(result.warmUp) as Array<keyof NativeCounts>;
      if (keys.some((k) => counts[k] !== result.warmUp[k])) {
        const wasmCounts = Object.fromEntries(keys.map((k) => [k, counts[k]]));
        throw new Error(`The native TLB twin has drifted from the WASM core on "${name}": over ${CALL.wasm} accesses ` +
          `the WASM core counts ${JSON.stringify(wasmCounts)}, the native twin ${JSON.stringify(result.warmUp)}`);
      }
      rates[name] = result.accessesPerS;
    }
  }
  return rates;
}

const native = buildNativeTlb();
let nativeRate: Record<string, number> = {};
if ("skipped" in native) {
  console.log(`native baseline skipped: ${native.skipped}`);
} else {
  nativeRate = nativeRates(native.tlb);
  console.log(`native baseline: bench/native/tlb.c built with cc ${native.tlb.flags.join(" ")}, counts equal to the WASM core's`);
}

const suite = new Benchmark.Suite("tlb");
for (const r of rows) suite.add(`${r.preset.name} ${r.map} ${r.core.name}`, r.fn, { maxTime: 2, minSamples: 5 });
suite.on("cycle", (e: Benchmark.Event) => console.log(String(e.target)));
suite.run({ async: false });

const measured: Record<string, Record<string, number>> = {};
suite.forEach((b: Benchmark, i: number) => {
  if (b.error) throw new Error(`Cannot run benchmark "${b.name}": ${b.error.message}`);
  const r = rows[i];
  (measured[`${r.preset.name} ${r.map}`] ??= {})[r.core.name] = b.hz * r.accesses;
});
const rate = Object.fromEntries(Object.entries(measured).map(([k, r]) => [k, { wasm: r.wasm, ts: r.ts, native: nativeRate[k] ?? null }]));

const M = (x: number) => `${(x / 1e6).toFixed(1)} M`;
console.table(Object.fromEntries(Object.entries(rate).map(([k, r]) => [k, {
  "wasm accesses/s": M(r.wasm), "ts accesses/s": M(r.ts), "wasm/ts": `${(r.wasm / r.ts).toFixed(2)}x`,
  "native accesses/s": r.native === null ? "skipped" : M(r.native),
  "wasm/native": r.native === null ? "skipped" : `${(r.wasm / r.native).toFixed(2)}x`,
}])));

const headline = rate[`${ZEN5.name} 4k`];
const results = {
  wasmAccessesPerS: headline.wasm,
  tsAccessesPerS: headline.ts,
  nativeAccessesPerS: headline.native,
  cores: os.cpus().length,
  node: process.version,
  byCase: rate,
};
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("tlb.json", out), JSON.stringify(results, null, 2) + "\n");
console.log("Wrote bench/results/tlb.json");
