/** Shared setup of the TLB suites: one core memory with both TLB loops over it, the WASM one and its TypeScript twin. */
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD, PTE, PTE_TABLE_BYTES } from "../host/core/layout.ts";
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

/**
 * A directory in `memory` of `huge.length` PMDs: PMD p a 2 MiB page with head frame
 * `headFrame(p)` where `huge[p]`, else a PTE table of 512 present, writable pages on frames
 * `frame(p, i)`.
 */
export function mappedDirectory(
  memory: CoreMemory, huge: boolean[], headFrame: (p: number) => number, frame: (p: number, i: number) => number,
): number {
  const dir = memory.alloc(huge.length * 4, 64);
  huge.forEach((h, p) => {
    if (h) {
      memory.u32[(dir >>> 2) + p] = PMD.HUGE | headFrame(p);
      return;
    }
    const table = memory.allocTable();
    for (let i = 0; i < 512; i++) {
      memory.u32[(table >>> 2) + 2 * i] = PTE.PRESENT | PTE.WRITE;
      memory.u32[(table >>> 2) + 2 * i + 1] = frame(p, i);
    }
    memory.u32[(dir >>> 2) + p] = table / PTE_TABLE_BYTES;
  });
  return dir;
}
