/**
 * khugepaged's scan, microbenchmarked on this machine and runtime: each scan core (the
 * TypeScript twin, the WASM scalar core, the WASM SIMD core) over one set of page tables,
 * in PTEs per second, beside the read-rate limit measured in the same run (plain SIMD
 * code summing as many bytes of PTE tables). benchmark.js does the timing, in Node, Deno
 * and browsers alike.
 */
import BenchmarkModule from "benchmark";
// @ts-expect-error -- lodash ships no types; only benchmark.js reads it.
import lodash from "lodash";
// @ts-expect-error -- platform ships no types; only benchmark.js reads it.
import platform from "platform";
import type { CoreMemory } from "../core/core_memory.ts";
import { OCCUPANCY, PTE_BYTES, PTES_PER_PMD, RECORD } from "../core/layout.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { TsScanCore } from "../core/scan_ref.ts";
import type { WasmCore } from "../core/wasm_core.ts";
import { RANGE } from "../fullscan/scan_plan.ts";
import { defaultTunables } from "../kernel/tunables.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { scanFlags } from "../khugepaged/scan_pmd_exit.ts";
import { buildScanSet, SCAN_ENGINES, type ScanEngine, type ScanSetName } from "./scan_set.ts";
import type { SynthSpecInput } from "../synth/spec.ts";

/**
 * benchmark.js itself. Where it was bundled (Vite's build of the page) its UMD wrapper
 * cannot require lodash and hands over a stub holding only runInContext, which takes
 * lodash and platform from the context given.
 */
const Benchmark: typeof BenchmarkModule = "Suite" in (BenchmarkModule as object) ? BenchmarkModule
  : (BenchmarkModule as typeof BenchmarkModule).runInContext({ _: lodash, platform }) as typeof BenchmarkModule;
type Benchmark = BenchmarkModule;

/** The most records a scan writes before its ring is read. */
const RING_RECORDS = 65536;


export interface BenchScanOptions {
  /** A built-in set ("cache", "256MiB") or a map description to generate (default "cache"). */
  set?: ScanSetName | { name: string; map: SynthSpecInput };
  /** The cores to time (default all three). */
  engines?: readonly ScanEngine[];
  /**
   * The kernel variant whose scan rules apply (default "baseline"). One with mTHP
   * collapse (7.2) times the mTHP scan, as with an mTHP size enabled: the cores also write
   * each PMD's occupied bitmap and judge its windows of every order.
   */
  variant?: string;
  /** Seconds benchmark.js spends on each core, at least (default 1). */
  maxTime?: number;
  /** What ran it, for the report (default: navigator.userAgent where there is one). */
  runtime?: string;
  /** The processor's model, for the report, where the caller can tell. */
  cpu?: string;
}

/** One measurement: PTEs per second (512 per PMD scanned) and benchmark.js's relative margin of error in percent. */
export interface ScanRate {
  ptesPerS: number;
  rme: number;
  samples: number;
}

export interface ScanBenchReport {
  set: string;
  pmds: number;
  variant: string;
  /** Whether the cores ran the mTHP scan (bitmap and window judgement) rather than the PMD-only one. */
  mthpScan: boolean;
  /** Each engine timed, in the order asked. */
  engines: Partial<Record<ScanEngine, ScanRate>>;
  /** Reading the same number of bytes of PTE tables with SIMD loads and nothing else. */
  readLimit: ScanRate;
  /** Each engine's rate over the TS twin's and over the read limit. */
  ratios: Partial<Record<ScanEngine, { toTs?: number; toReadLimit: number }>>;
  runtime: string;
  cpu: string | null;
  cpus: number | null;
}

/**
 * Scan every range of `ranges` with `core`, ring by ring, with the sysfs default
 * thresholds (and the occupancy records from `occupancy` on under the mTHP scan).
 */
function scanAll(
  core: ScanCore, ranges: Uint32Array, scanFlags: number, ring: number, ringRecords: number, occupancy: number,
): void {
  const t = defaultTunables().khugepaged;
  for (let row = 0; row < ranges.length; row += RANGE.WIDTH) {
    const count = ranges[row + RANGE.COUNT];
    for (let off = 0; off < count; off += ringRecords) {
      core.scanPmds(ranges[row + RANGE.DIR], ranges[row + RANGE.FIRST] + off, Math.min(ringRecords, count - off),
        ranges[row + RANGE.PMD_NO] + off, t.max_ptes_none, t.max_ptes_swap, t.max_ptes_shared, ranges[row + RANGE.VMA_FLAGS],
        scanFlags, ring, occupancy);
    }
  }
}

/** Time `fns` one after another with benchmark.js; resolves with each one's runs per second. */
function timeAll(fns: ReadonlyArray<[string, () => void]>, maxTime: number): Promise<Benchmark[]> {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite("scan");
    for (const [name, fn] of fns) suite.add(name, fn, { maxTime, minSamples: 5 });
    suite.on("complete", () => {
      const runs = suite.map((b: Benchmark) => b) as Benchmark[];
      const failed = runs.find((b) => b.error);
      if (failed) reject(new Error(`Cannot time the scan on ${failed.name}: ${failed.error.message}`));
      else resolve(runs);
    });
    suite.run({ async: true });
  });
}

/**
 * Time the scan cores on one set of page tables built in `memory`, with `core` loaded on
 * it. The memory must have room for the set (288 MiB for "256MiB").
 *
 * @example
 * const { memory, core } = await createCore({ maxBytes: 288 * 2 ** 20 });   // Node: host/node/load_core.ts
 * const r = await runScanBench(core, memory, { set: "256MiB", engines: ["wasm", "simd"] });
 * console.log(r.engines.simd!.ptesPerS / r.readLimit.ptesPerS);
 */
export async function runScanBench(core: WasmCore, memory: CoreMemory, options: BenchScanOptions = {}): Promise<ScanBenchReport> {
  const engines = options.engines ?? SCAN_ENGINES;
  const variant = getVariant(options.variant ?? "baseline");
  const set = buildScanSet(memory, options.set ?? "cache");
  const ringRecords = Math.max(1, Math.min(set.pmds, RING_RECORDS));
  const ring = memory.alloc(ringRecords * RECORD.BYTES, RECORD.BYTES);
  const mthpScan = variant.mthpCollapse;
  const flags = scanFlags(variant, true, mthpScan);
  const occupancy = mthpScan ? memory.alloc(ringRecords * OCCUPANCY.BYTES, 64) : 0;
  const cores: Record<ScanEngine, ScanCore> = { ts: new TsScanCore(memory.memory), wasm: core.scalar, simd: core.simd };
  const sumBytesSimd = core.exports.sumBytesSimd as (ptr: number, bytes: number) => bigint;
  const runs = await timeAll([
    ...engines.map((e): [string, () => void] => [e, () => scanAll(cores[e], set.ranges, flags, ring, ringRecords, occupancy)]),
    ["readLimit", () => void sumBytesSimd(set.tables, set.tableBytes)],
  ], options.maxTime ?? 1);
  const rate = (b: Benchmark, ptes: number): ScanRate => ({ ptesPerS: b.hz * ptes, rme: b.stats.rme, samples: b.stats.sample.length });
  const byEngine: ScanBenchReport["engines"] = {};
  engines.forEach((e, i) => (byEngine[e] = rate(runs[i], set.pmds * PTES_PER_PMD)));
  const readLimit = rate(runs[engines.length], set.tableBytes / PTE_BYTES);
  const ratios: ScanBenchReport["ratios"] = {};
  for (const e of engines) {
    const r = byEngine[e]!.ptesPerS;
    ratios[e] = { ...(byEngine.ts && e !== "ts" ? { toTs: r / byEngine.ts.ptesPerS } : {}), toReadLimit: r / readLimit.ptesPerS };
  }
  const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  return {
    set: set.name, pmds: set.pmds, variant: variant.name, mthpScan, engines: byEngine, readLimit, ratios,
    runtime: options.runtime ?? nav?.userAgent ?? "unknown", cpu: options.cpu ?? null, cpus: nav?.hardwareConcurrency ?? null,
  };
}
