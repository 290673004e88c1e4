/**
 * khugesim: a simulator of Linux khugepaged's scan and collapse decisions, with a TLB
 * model, on a WebAssembly core. This module is the library's public face; it uses
 * web-standard APIs only and runs as it is in browsers, Deno and Node (where
 * `khugesim/node` adds file access).
 *
 * @example
 * ```ts
 * import { compareScenario, createEngine, formatComparison, loadPreset } from "khugesim";
 *
 * const scenario = loadPreset("hot1-cold-hot2");
 * const result = await compareScenario(scenario, await createEngine(), { variants: ["baseline", "lazyfree-skip"] });
 * console.log(formatComparison(result));
 * ```
 */
import { CoreMemory } from "./core/core_memory.ts";
import { loadCore, type WasmCore } from "./core/wasm_core.ts";
import { type BenchScanOptions, runScanBench, type ScanBenchReport } from "./bench/scan_bench.ts";
import { type Engine, wasmEngine } from "./run/engine.ts";

// Scenarios: presets, parsing and checking, with field-path errors.
export {
  findPreset, formatByteSize, loadPreset, parseByteSize, parseScenarioText, type Preset, PRESETS, presetYaml, type Scenario,
  ScenarioError, type ScenarioInput, validateScenario,
} from "./scenario/mod.ts";
export type {
  AccessStep, Advice, PatternSpec, RangeSpec, Step, TaskSpec, VmaFlag, VmaSpec,
} from "./scenario/mod.ts";

// Running: one variant, several variants, or interval by interval with frames.
export {
  compareScenario, type CompareOptions, type CompareResult, defaultTlbMode, EXACT_DEFAULT_MAX_ACCESSES, estimateEndS,
  type RunEvent, runScenario, type RunOptions, type RunProgress, tsEngine, wasmEngine,
} from "./run/mod.ts";
export type { AccessReport, Engine, RunResult, SeriesPoint, TaskResult, TaskSample } from "./run/mod.ts";
export type { Frame, FrameChanges, TaskChanges, TaskFrame } from "./run/frames.ts";
export { PMD_STATES, type PmdState } from "./mm/pmd_map.ts";
export { PMD_SIZE } from "./mm/vma.ts";

// Reports and traces: what `khugesim compare` prints, its --json, CSV and SVG chart, the trace.
export { anonHugeChartSvg, comparisonJson, formatComparison, formatRun, seriesCsv } from "./report/mod.ts";
export { formatFtrace, formatJson, TRACE_EVENTS, type TraceEvent, type TraceValue } from "./kernel/trace.ts";
// The AnonHugePages chart's line colours (by task) and dashes (by variant), for a page to match.
export { DASHES, PALETTE } from "./report/chart_style.ts";

// khugepaged's clock: jiffies at CONFIG_HZ, the timer wheel's rounding of a sleep, the cost
// of a pass's work; the per-wake-up rows (`run --wakeups`) and the seed band (`compare --band`).
export { HZ_CHOICES, type Hz, Jiffies, msecsToJiffies, tickNs } from "./kernel/jiffies.ts";
export { bucketExpiry, levelGranule, timeoutEndNs, wheelLevel } from "./kernel/timer_wheel.ts";
export { allocNs, collapseNs, type CollapseStage, DEFAULT_COSTS, type KhugepagedCosts } from "./khugepaged/costs.ts";
export type { WakeupRow } from "./run/wakeup_log.ts";
export { type Band, seedBand, type TaskBand } from "./run/band.ts";
export { formatBand } from "./report/band_table.ts";
export { formatWakeups } from "./report/wakeup_table.ts";

// A real kernel's trace (`khugesim check-trace`): the parser of ftrace, trace-cmd and perf
// script text, and its check against a simulated run.
export { KHUGEPAGED_EVENTS, parseTrace, TraceParseError, type TraceRecord } from "./kernel/trace_parse.ts";
export { checkRunTrace, checkTrace, type PmdRow, TieError, type TraceCheck, type WakeupCheck } from "./run/trace_check.ts";
export { formatTraceCheck } from "./report/check_trace_report.ts";

// Sweeps: grids of runs, their keys, shards, output lines, merging and summary (`khugesim sweep`).
export * from "./sweep/mod.ts";

// The scan microbenchmark's options and report (benchScan() is below).
export { type BenchScanOptions, type ScanBenchReport, type ScanRate } from "./bench/scan_bench.ts";
export { SCAN_ENGINES, type ScanEngine, SCAN_SETS, type ScanSetName } from "./bench/scan_set.ts";

// Snapshots of real processes (`khugesim capture`): the .khs format and its import into a run's kernel.
export {
  decodeSnapshot, encodeSnapshot, type ImportedMm, importSnapshot, ImportRefusal, PAGE, type Snapshot, SNAPSHOT_VERSION,
  SnapshotFormatError, type SnapshotProcess, type SnapshotVma,
} from "./snapshot/mod.ts";

// Kernel variants, sysfs tunables and vmstat counters, by their kernel names.
export {
  findVariant, getVariant, type KernelVersionName, POLICIES, type PolicyName, VARIANTS, variantChoices, type VariantName, VERSIONS,
} from "./kernel/variants/mod.ts";
export type { KernelVersion, Policy, Variant } from "./kernel/variant.ts";
export {
  defaultTunables, readTunable, type ThpDefrag, type ThpEnabled, TunableError, type TunablePath, type Tunables, TUNABLE_PATHS,
  writeTunable,
} from "./kernel/tunables.ts";
export {
  hugepageEnabled, orderEnabled, PER_SIZE_CHOICES, perSizePath, type ThpPerSize, type ThpSizeKb, THP_SIZES_KB,
} from "./kernel/thp_sizes.ts";
export { VMSTAT_COUNTERS, type Vmstat, type VmstatCounter } from "./kernel/vmstat.ts";
export { SCAN_RESULTS, type ScanResultName, scanResultName, scanResultTrace } from "./core/scan_result.ts";

/**
 * Where the compiled core ships: `build/khugesim.wasm` of the package, next to the
 * folder of this module (host/ in the repository, dist/ in the package). Bundlers such
 * as Vite recognise the pattern and emit the file as an asset.
 */
export const WASM_URL: URL = new URL("../build/khugesim.wasm", import.meta.url);

export interface EngineOptions {
  /** The compiled core: bytes, a fetch Response, or a URL to fetch (default WASM_URL). */
  wasm?: BufferSource | Response | URL;
  /** Upper bound of the shared core memory in bytes (a multiple of 64 KiB; default 4 GiB). */
  maxBytes?: number;
  /** Use the SIMD scan core (default true); false uses the scalar one. Results are identical. */
  simd?: boolean;
}

/** A fresh shared memory with the WASM core from `options.wasm` (default WASM_URL) loaded on it. */
async function instantiateCore(options: EngineOptions): Promise<{ memory: CoreMemory; core: WasmCore }> {
  const source = options.wasm ?? WASM_URL;
  if (source instanceof URL && source.protocol === "file:" && !canFetchFiles()) {
    throw new TypeError(
      `Cannot load the WASM core from "${source.href}": this runtime cannot fetch file: URLs; ` +
        `import "khugesim/node" (which reads it with node:fs) or pass the bytes as options.wasm`,
    );
  }
  const memory = new CoreMemory({ maxBytes: options.maxBytes });
  return { memory, core: await loadCore(memory, source) };
}

/**
 * Instantiate the WASM core on a fresh shared memory and return an engine for
 * runScenario(). In a browser the page must be cross-origin isolated (shared memory).
 *
 * @example
 * const engine = await createEngine();
 * const result = await runScenario(loadPreset("hot1-hot2"), engine, { variant: "baseline" });
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const { memory, core } = await instantiateCore(options);
  return wasmEngine(memory, core, { simd: options.simd });
}

/**
 * Microbenchmark khugepaged's scan here: the TS twin, the WASM scalar and the WASM SIMD
 * cores in PTEs/s over a set of page tables, beside the read-rate limit of the same run,
 * timed by benchmark.js (what `khugesim bench scan` prints).
 *
 * @example
 * const r = await benchScan({ set: "256MiB", engines: ["wasm", "simd"] });
 * console.log(r.engines.simd!.ptesPerS / r.readLimit.ptesPerS);
 */
export async function benchScan(options: BenchScanOptions & Omit<EngineOptions, "simd"> = {}): Promise<ScanBenchReport> {
  const { memory, core } = await instantiateCore(options);
  return runScanBench(core, memory, options);
}

/** Deno's fetch() reads file: URLs; Node's does not. */
function canFetchFiles(): boolean {
  return "Deno" in globalThis;
}
