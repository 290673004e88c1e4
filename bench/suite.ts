/**
 * The whole benchmark suite, against its targets on a 2-core machine: the scan-core
 * microbenchmark (bench/scan.ts) and the TLB loop (bench/tlb.ts), each in its own
 * process; the seed experiment end to end through the runner (both variants); a full
 * khugepaged scan of a 1 TiB synthetic map of mixed classes, and the two-worker
 * speed-up (bench/tib.ts, in its own process so that its peak RSS is its own); the capture
 * of a real 1 GiB process and its import and full scan (bench/capture.ts). Prints a
 * table and writes bench/results/suite.json. Timings are taken on a machine that may be
 * busy: the 1-minute load average at each step is recorded next to them.
 *
 * Usage: npm run bench
 */
import { spawn } from "node:child_process";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { VariantName } from "../host/kernel/variants/mod.ts";
import { compareOnWorkers } from "../host/node/compare_pool.ts";
import { createCore } from "../host/node/load_core.ts";
import { columns } from "../host/report/format.ts";
import { seedBand } from "../host/run/band.ts";
import { compareScenario } from "../host/run/compare.ts";
import { wasmEngine } from "../host/run/engine.ts";
import { loadPreset } from "../host/scenario/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = new URL("results/", import.meta.url);
const SEED_PRESET = "hot1-cold-hot2";
const SEED_VARIANTS: VariantName[] = ["baseline", "lazyfree-skip"];

/** Run a TypeScript file in a child Node process with tsx; resolve to its stdout. */
function runTs(file: string, echo: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (echo) process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`Benchmark ${file} failed: exit code ${code}${signal ? `, signal ${signal}` : ""}`));
    });
  });
}

async function exists(url: URL): Promise<boolean> {
  return access(url).then(() => true, () => false);
}

/** A child benchmark that writes bench/results/NAME.json; its JSON, or undefined if the bench is missing. */
async function childBench(name: string): Promise<Record<string, unknown> | undefined> {
  const file = new URL(`${name}.ts`, import.meta.url);
  if (!(await exists(file))) return undefined;
  process.stderr.write(`bench/${name}.ts …\n`);
  await runTs(fileURLToPath(file), true);
  return JSON.parse(await readFile(new URL(`${name}.json`, RESULTS), "utf8")) as Record<string, unknown>;
}

/** Wall seconds of the seed experiment under both variants, through the runner, each on a fresh engine. */
async function seedExperiment(): Promise<{ first: number; best: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { memory, core } = await createCore();
    const engine = wasmEngine(memory, core);
    const t0 = performance.now();
    await compareScenario(loadPreset(SEED_PRESET), engine, { variants: SEED_VARIANTS });
    runs.push((performance.now() - t0) / 1000);
  }
  return { first: runs[0], best: Math.min(...runs), runs };
}

const fmt = (n: number | undefined, digits = 2): string => (n === undefined ? "missing" : n.toLocaleString("en-US", { maximumFractionDigits: digits }));
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

const load: Record<string, number> = { start: os.loadavg()[0] };
const scan = await childBench("scan");
load.afterScan = os.loadavg()[0];
const tlb = await childBench("tlb");
load.afterTlb = os.loadavg()[0];
const capture = await childBench("capture");
// Ticks per access on this machine, then the parts cost model fitted on them and the paper's rows.
const accessCost = await childBench("access_cost");
const calibration = await childBench("cost_calibration");
process.stderr.write("seed experiment …\n");
const seed = await seedExperiment();
load.afterSeed = os.loadavg()[0];
// The band's 16 extra runs (compare --band), timed once and apart from the seed's target.
process.stderr.write("seed band …\n");
const bandT0 = performance.now();
{
  const { memory, core } = await createCore();
  await seedBand(loadPreset(SEED_PRESET), wasmEngine(memory, core), SEED_VARIANTS[1]);
}
const bandWallS = (performance.now() - bandT0) / 1000;
load.afterBand = os.loadavg()[0];
process.stderr.write("bench/tib.ts …\n");
/**
 * Wall seconds of the seed experiment with every access simulated, both variants: side
 * by side on worker threads, their long phases simulated ahead on two more (what
 * `compare --exact` does), then one after another on this thread; the ratio is the
 * parallel speed-up.
 */
async function exactSeed(): Promise<{ parallelS: number; oneThreadS: number; accessesPerCorePerS: number }> {
  const scenario = loadPreset(SEED_PRESET);
  const t0 = performance.now();
  const c = await compareOnWorkers(scenario, SEED_VARIANTS, "wasm", { tlbMode: "exact" });
  const parallelS = (performance.now() - t0) / 1000;
  // Every access of both runs, over the wall time and the two threads that ran them.
  const accesses = c.results.reduce((sum, r) => sum + r.tasks.reduce((n, t) => n + (t.perf?.accesses ?? 0), 0), 0);
  const accessesPerCorePerS = accesses / parallelS / SEED_VARIANTS.length;
  const { memory, core } = await createCore();
  const t1 = performance.now();
  await compareScenario(scenario, wasmEngine(memory, core), { variants: SEED_VARIANTS, tlbMode: "exact" });
  return { parallelS, oneThreadS: (performance.now() - t1) / 1000, accessesPerCorePerS };
}
process.stderr.write("seed experiment, --exact …\n");
const exact = await exactSeed();
load.afterExact = os.loadavg()[0];
const wasmRate = num(tlb?.wasmAccessesPerS);
const nativeRate = num(tlb?.nativeAccessesPerS);
const wasmToNative = wasmRate !== undefined && nativeRate !== undefined ? wasmRate / nativeRate : null;

const tib = JSON.parse(await runTs(fileURLToPath(new URL("tib.ts", import.meta.url)), false)) as Record<string, unknown>;
load.afterTib = os.loadavg()[0];

const suite = {
  seedBothVariantsWallS: seed.best,
  seedBandWallS: bandWallS,
  tib: {
    pmds: tib.pmds, fullPassS: tib.fullPassS, peakRssMiB: tib.peakRssMiB, wasmBytesPerMappedGiB: tib.wasmBytesPerMappedGiB,
  },
  workers: { speedup: tib.speedup },
  exact: { seedBothVariantsWallS: exact.parallelS, speedup: exact.oneThreadS / exact.parallelS },
  tlb: {
    wasmToNative,
    wasmAccessesPerS: num(tlb?.wasmAccessesPerS) ?? null,
    tsAccessesPerS: num(tlb?.tsAccessesPerS) ?? null,
    // The native C twin (null without a C compiler): what the same exact model does outside WASM.
    nativeAccessesPerS: num(tlb?.nativeAccessesPerS) ?? null,
  },
  cores: os.availableParallelism(),
  node: process.version,
  // Beyond the headline fields: how each was measured, and what else was.
  details: {
    seed: { preset: SEED_PRESET, variants: SEED_VARIANTS, ...seed },
    exactSeed: { preset: SEED_PRESET, variants: SEED_VARIANTS, ...exact },
    tib,
    scan: scan ?? null,
    capture: capture ?? null,
    accessCost: accessCost ?? null,
    costCalibration: calibration ?? null,
    loadAverage1m: load,
  },
};
await mkdir(RESULTS, { recursive: true });
await writeFile(new URL("suite.json", RESULTS), JSON.stringify(suite, null, 2) + "\n");

const scanLarge = (scan?.large ?? {}) as Record<string, number>;
const rows: Array<[string, string, string, string]> = [
  ["benchmark", "measured", "target", "met"],
  ["seed experiment, both variants (wall s, best of 3)", fmt(seed.best), "< 1", seed.best < 1 ? "yes" : "no"],
  ["seed band, 16 runs of the patched kernel (wall s, once)", fmt(bandWallS), "", ""],
  ["1 TiB mixed map: full scan, 1 thread (s)", fmt(num(tib.fullPassS), 3), "< 3", num(tib.fullPassS)! < 3 ? "yes" : "no"],
  ["1 TiB mixed map: PMDs/s, 1 thread", fmt(num(tib.pmdsPerS), 0), "", ""],
  ["1 TiB mixed map: peak RSS (MiB)", fmt(num(tib.peakRssMiB), 0), "", ""],
  ["1 TiB mixed map: core bytes per mapped GiB", fmt(num(tib.wasmBytesPerMappedGiB), 0), "", ""],
  ["two workers: speed-up over one thread", fmt(num(tib.speedup)), ">= 1.8", num(tib.speedup)! >= 1.8 ? "yes" : "no"],
  ["TLB loop, WASM (accesses/s)", fmt(num(tlb?.wasmAccessesPerS), 0), ">= 100,000,000", (num(tlb?.wasmAccessesPerS) ?? 0) >= 1e8 ? "yes" : "no"],
  ["seed experiment --exact, both variants on 2 threads (wall s, once)", fmt(exact.parallelS), "< 8", exact.parallelS < 8 ? "yes" : "no"],
  ["  its speed-up over one thread", fmt(exact.oneThreadS / exact.parallelS), "", ""],
  ["  its accesses per thread per second", fmt(exact.accessesPerCorePerS, 0), "", ""],
  ["TLB loop, WASM / native C twin", wasmToNative === null ? "skipped" : fmt(wasmToNative), ">= 0.85", (wasmToNative ?? 0) >= 0.85 ? "yes" : "no"],
  ["TLB loop, TypeScript (accesses/s)", fmt(num(tlb?.tsAccessesPerS), 0), "", ""],
  ["TLB loop, native C twin (accesses/s)", num(tlb?.nativeAccessesPerS) === undefined ? "skipped" : fmt(num(tlb?.nativeAccessesPerS), 0), "", ""],
  ["scan core, SIMD, 256 MiB of tables (PTEs/s)", fmt(scanLarge.simd, 0), "", ""],
  ["capture of a real 1 GiB process (GiB mapped/s)", capture?.skipped ? "skipped" : fmt(num(capture?.captureGiBPerS)), "", ""],
  ["its import + one full scan, 2 variants (s)", capture?.skipped ? "skipped" : fmt(num(capture?.importAndScanS), 3), "", ""],
];
for (const host of ["nested-4k", "nested-2m"]) {
  const error = num((calibration?.[host] as Record<string, unknown> | undefined)?.heldOutError);
  rows.push([`parts cost model, held-out error (this guest on ${host.slice(7)} host pages)`, error === undefined ? "missing" : `±${fmt(100 * error, 1)} %`, "", ""]);
}
// The presets against this run's measurement (zen5-kvm-4k) and the paper's rows: largest error, within the stated one?
for (const check of (calibration?.presetCheck ?? []) as Array<{ preset: string; statedError: number; allWithin: boolean; rows: Array<{ error: number }> }>) {
  const worst = Math.max(...check.rows.map((r) => Math.abs(r.error)));
  rows.push([`preset ${check.preset}: largest error on its points`, `±${fmt(100 * worst, 1)} %`, `<= ±${fmt(100 * check.statedError, 0)} %`, check.allWithin ? "yes" : "no"]);
}
process.stdout.write(columns(rows, { gap: 2 }) + "\n");
process.stdout.write(`${os.availableParallelism()} cores, Node ${process.version}, 1-minute load average ${Object.values(load).map((l) => l.toFixed(2)).join(" → ")}\n`);
const others = num(tib.othersCpuShare);
if (others !== undefined && others > 0.05) {
  process.stdout.write(`Warning: other processes used ${(others * 100).toFixed(0)} % of the machine's CPU time during the 1 TiB and worker ` +
    "timings; the speed-up in particular is understated. Rerun on an idle machine.\n");
}
process.stdout.write("Wrote bench/results/suite.json\n");
