/** Helpers of the simulate-ahead tests: a speculation source on this thread, and an engine that counts its TLB work. */
import { createCore } from "../host/node/load_core.ts";
import { journalBuffer, joinJournal, JournalReader } from "../host/run/ahead_journal.ts";
import { runAhead } from "../host/run/ahead_run.ts";
import type { AheadSource } from "../host/run/ahead_take.ts";
import { type Engine, wasmEngine } from "../host/run/engine.ts";

/** A fresh WASM engine whose TLB core adds the accesses it simulates to `counted.accesses`. */
export async function countingEngine(): Promise<Engine & { counted: { accesses: number } }> {
  const { memory, core } = await createCore();
  const engine = wasmEngine(memory, core);
  const counted = { accesses: 0 };
  const tlbRun = engine.tlbCore.tlbRun;
  return {
    ...engine, counted,
    tlbCore: { name: engine.tlbCore.name, tlbRun: (tlb, stream, count, out) => { counted.accesses += count; tlbRun(tlb, stream, count, out); } },
  };
}

/**
 * Speculations run to their end on `engine` the moment they are asked for, as if the
 * other thread were infinitely fast; `started` counts them.
 */
export function inlineAhead(engine: Engine): AheadSource & { started: number } {
  return {
    worthAccesses: 0,
    started: 0,
    start(request) {
      this.started++;
      const buffer = journalBuffer(256 << 20);
      joinJournal(buffer);
      const mark = engine.memory.usedBytes;
      try {
        runAhead(engine, request, buffer);
      } finally {
        engine.memory.rewind(mark);
      }
      return new JournalReader(buffer);
    },
  };
}
