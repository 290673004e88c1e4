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
import { loadCore } from "./core/wasm_core.ts";
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
  compareScenario, type CompareOptions, type CompareResult, estimateEndS, type RunEvent, runScenario,
  type RunOptions, type RunProgress, tsEngine, wasmEngine,
} from "./run/mod.ts";
export type { AccessReport, Engine, RunResult, SeriesPoint, TaskResult, TaskSample } from "./run/mod.ts";
export type { Frame, TaskFrame } from "./run/frames.ts";
export { PMD_STATES, type PmdState } from "./mm/pmd_map.ts";

// Reports and traces: what `khugesim compare` prints, its --json and CSV, the trace.
export { comparisonJson, formatComparison, formatRun, seriesCsv } from "./report/mod.ts";
export { formatFtrace, formatJson, TRACE_EVENTS, type TraceEvent, type TraceValue } from "./kernel/trace.ts";
// The AnonHugePages chart's line colours (by task) and dashes (by variant), for a page to match.
export { DASHES, PALETTE } from "./report/chart_style.ts";

// Snapshots of real processes (`khugesim capture`): the .khs format and its import into a run's kernel.
export {
  decodeSnapshot, encodeSnapshot, type ImportedMm, importSnapshot, ImportRefusal, PAGE, type Snapshot, SNAPSHOT_VERSION,
  SnapshotFormatError, type SnapshotProcess, type SnapshotVma,
} from "./snapshot/mod.ts";

// Kernel variants, sysfs tunables and vmstat counters, by their kernel names.
export { findVariant, getVariant, POLICIES, VARIANTS, variantChoices, VERSIONS } from "./kernel/variants/mod.ts";
export type { KernelVersion, Policy, Variant } from "./kernel/variant.ts";
export {
  defaultTunables, readTunable, type ThpDefrag, type ThpEnabled, TunableError, type Tunables, TUNABLE_PATHS,
  writeTunable,
} from "./kernel/tunables.ts";
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

/**
 * Instantiate the WASM core on a fresh shared memory and return an engine for
 * runScenario(). In a browser the page must be cross-origin isolated (shared memory).
 *
 * @example
 * const engine = await createEngine();
 * const result = await runScenario(loadPreset("hot1-hot2"), engine, { variant: "baseline" });
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const source = options.wasm ?? WASM_URL;
  if (source instanceof URL && source.protocol === "file:" && !canFetchFiles()) {
    throw new TypeError(
      `Cannot load the WASM core from "${source.href}": this runtime cannot fetch file: URLs; ` +
        `import "khugesim/node" (which reads it with node:fs) or pass the bytes as options.wasm`,
    );
  }
  const memory = new CoreMemory({ maxBytes: options.maxBytes });
  const core = await loadCore(memory, source);
  return wasmEngine(memory, core, { simd: options.simd });
}

/** Deno's fetch() reads file: URLs; Node's does not. */
function canFetchFiles(): boolean {
  return "Deno" in globalThis;
}
