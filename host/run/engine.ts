/**
 * The cores a run computes with, handed in by the caller so that the runner itself
 * needs no file system: in Node the WASM build loaded by `createCore()`, in a browser
 * the same build fetched by `loadCore()`, anywhere the TypeScript reference twins.
 */
import { CoreMemory } from "../core/core_memory.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { TsScanCore } from "../core/scan_ref.ts";
import type { WasmCore } from "../core/wasm_core.ts";
import { type TlbCore, wasmTlbCore } from "../tlb/tlb_core.ts";
import { createTlbRef } from "../tlb/tlb_ref.ts";

/** A core memory and the scan and TLB cores that work on it. */
export interface Engine {
  readonly memory: CoreMemory;
  readonly scanCore: ScanCore;
  readonly tlbCore: TlbCore;
}

/**
 * An engine over an instantiated WASM core (SIMD scan by default).
 *
 * @example
 * const { memory, core } = await createCore();          // Node: host/node/load_core.ts
 * const engine = wasmEngine(memory, core);
 * const result = await runScenario(loadPreset("hot1-cold-hot2"), engine, { variant: "baseline" });
 */
export function wasmEngine(memory: CoreMemory, core: WasmCore, options: { simd?: boolean } = {}): Engine {
  return { memory, scanCore: options.simd === false ? core.scalar : core.simd, tlbCore: wasmTlbCore(core.exports) };
}

/** An engine of the TypeScript reference cores: no WASM needed, several times slower. */
export function tsEngine(memory: CoreMemory = new CoreMemory({ maxBytes: 1024 * 1024 * 1024 })): Engine {
  return { memory, scanCore: new TsScanCore(memory.memory), tlbCore: createTlbRef(memory.memory) };
}
