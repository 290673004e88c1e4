/**
 * khugesim for Node: the whole public API of host/mod.ts, with createEngine() reading
 * the compiled core through node:fs (Node's fetch cannot read file: URLs) and
 * loadScenarioFile() reading scenario files. `import "khugesim"` in Node resolves here.
 *
 * @example
 * ```ts
 * import { createEngine, loadScenarioFile, runScenario } from "khugesim";
 *
 * const result = await runScenario(await loadScenarioFile("my.yaml"), await createEngine());
 * console.log(result.tasks.map((t) => `${t.name}: ${t.memory.anonHugePagesKb} kB huge`));
 * ```
 */
import { basename } from "node:path";
import {
  benchScan as webBenchScan, type EngineOptions, createEngine as createWebEngine, type ScanBenchReport, WASM_URL,
} from "../mod.ts";
import type { Engine } from "../run/engine.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { readWasmFile } from "./load_core.ts";
import { readScenarioFile } from "./scenario_source.ts";

export * from "../mod.ts";

/** `wasm` as a web runtime takes it: a file: URL (by default WASM_URL) read from disk, anything else as it is. */
async function wasmSource(wasm: EngineOptions["wasm"]): Promise<EngineOptions["wasm"]> {
  if (wasm !== undefined && !(wasm instanceof URL && wasm.protocol === "file:")) return wasm;
  const url = wasm ?? WASM_URL;
  return readWasmFile(url, url.pathname);
}

/**
 * Instantiate the WASM core on a fresh shared memory; by default the build that ships
 * with the package (WASM_URL), read from disk.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return createWebEngine({ ...options, wasm: await wasmSource(options.wasm) });
}

/** benchScan() of the web library, with the core read from disk as createEngine() reads it. */
export async function benchScan(options: Parameters<typeof webBenchScan>[0] = {}): Promise<ScanBenchReport> {
  return webBenchScan({ ...options, wasm: await wasmSource(options.wasm) });
}

/**
 * Read and check a scenario file (JSON or YAML, by its extension). Throws a
 * ScenarioError naming the file and the field at fault.
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  return readScenarioFile(path, basename(path));
}
