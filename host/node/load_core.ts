/**
 * Node adapter of the WASM core: loads build/khugesim.wasm (or the debug build) from
 * the repository with node:fs.
 */
import { readFile } from "node:fs/promises";
import { CoreMemory, type CoreMemoryOptions } from "../core/core_memory.ts";
import { loadCore, type WasmCore } from "../core/wasm_core.ts";

export interface NodeCoreOptions {
  /** Load build/khugesim.debug.wasm (assertions on) instead of the release build. */
  debug?: boolean;
}

/** Load the built WASM core from build/ onto `memory`. */
export async function loadNodeCore(memory: CoreMemory, options: NodeCoreOptions = {}): Promise<WasmCore> {
  const file = options.debug ? "khugesim.debug.wasm" : "khugesim.wasm";
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readFile(new URL(`../../build/${file}`, import.meta.url));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`Cannot load the WASM core: build/${file} is missing; run npm run build`);
    }
    throw err;
  }
  return loadCore(memory, bytes);
}

/** A fresh CoreMemory with the WASM core loaded on it. */
export async function createCore(
  options: NodeCoreOptions & CoreMemoryOptions = {},
): Promise<{ memory: CoreMemory; core: WasmCore }> {
  const memory = new CoreMemory(options);
  return { memory, core: await loadNodeCore(memory, options) };
}
