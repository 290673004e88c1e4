/** Shared setup of the TLB suites: one core memory with both TLB loops over it, the WASM one and its TypeScript twin. */
import type { CoreMemory } from "../host/core/core_memory.ts";
import { createCore } from "../host/node/load_core.ts";
import { createTlbRef, type TlbCore, wasmTlbCore } from "../host/tlb/mod.ts";

export interface TlbCores {
  memory: CoreMemory;
  wasm: TlbCore;
  ts: TlbCore;
  /** The WASM module's exports, for what a suite reads beside the TLB loop. */
  exports: WebAssembly.Exports;
}

/** A fresh core memory with the WASM TLB loop and the TypeScript twin over it. */
export async function createTlbCores(): Promise<TlbCores> {
  const { memory, core } = await createCore();
  return { memory, wasm: wasmTlbCore(core.exports), ts: createTlbRef(memory.memory), exports: core.exports };
}
