/**
 * Node adapter of the WASM core: loads build/khugesim.wasm (or the debug build) from
 * the repository with node:fs, and picks a scan core by name.
 */
import { readFile } from "node:fs/promises";
import { CoreMemory, type CoreMemoryOptions } from "../core/core_memory.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { TsScanCore } from "../core/scan_ref.ts";
import { loadCore, type WasmCore } from "../core/wasm_core.ts";

export interface NodeCoreOptions {
  /** Load build/khugesim.debug.wasm (assertions on) instead of the release build. */
  debug?: boolean;
}

/** The scan cores by name: the WASM SIMD one, the WASM scalar one, the TypeScript twin. */
export type ScanCoreName = "simd" | "wasm" | "ts";

/** Read a compiled core from disk; a missing file is an error that names it as `shown` and says how to build it. */
export async function readWasmFile(url: URL, shown: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await readFile(url);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`Cannot load the WASM core: ${shown} is missing; run npm run build`);
    }
    throw err;
  }
}

/** Load the built WASM core from build/ onto `memory`. */
export async function loadNodeCore(memory: CoreMemory, options: NodeCoreOptions = {}): Promise<WasmCore> {
  const file = options.debug ? "khugesim.debug.wasm" : "khugesim.wasm";
  return loadCore(memory, await readWasmFile(new URL(`../../build/${file}`, import.meta.url), `build/${file}`));
}

/** A fresh CoreMemory with the WASM core loaded on it. */
export async function createCore(
  options: NodeCoreOptions & CoreMemoryOptions = {},
): Promise<{ memory: CoreMemory; core: WasmCore }> {
  const memory = new CoreMemory(options);
  return { memory, core: await loadNodeCore(memory, options) };
}

/** The scan core `name` on `memory` (the WASM ones load the built core). */
export async function scanCoreNamed(name: ScanCoreName, memory: CoreMemory): Promise<ScanCore> {
  if (name === "ts") return new TsScanCore(memory.memory);
  const wasm = await loadNodeCore(memory);
  return name === "simd" ? wasm.simd : wasm.scalar;
}
