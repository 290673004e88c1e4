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
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { type EngineOptions, createEngine as createWebEngine, WASM_URL } from "../mod.ts";
import type { Engine } from "../run/engine.ts";
import { parseScenarioText } from "../scenario/load_scenario.ts";
import { ScenarioError } from "../scenario/scenario_error.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";

export * from "../mod.ts";

/**
 * Instantiate the WASM core on a fresh shared memory; by default the build that ships
 * with the package (WASM_URL), read from disk.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (options.wasm !== undefined && !(options.wasm instanceof URL && options.wasm.protocol === "file:")) {
    return createWebEngine(options);
  }
  const url = options.wasm ?? WASM_URL;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readFile(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`Cannot load the WASM core: ${url.pathname} is missing; run npm run build`);
    }
    throw err;
  }
  return createWebEngine({ ...options, wasm: bytes });
}

/**
 * Read and check a scenario file (JSON or YAML, by its extension). Throws a
 * ScenarioError naming the file and the field at fault.
 */
export async function loadScenarioFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ScenarioError(basename(path), "", `cannot be read: ${reason}`, { cause: err });
  }
  return parseScenarioText(text, basename(path));
}
