/** Helpers of the simulate-ahead tests: a speculation source on this thread, and an engine that counts its TLB work. */
import { createCore } from "../host/node/load_core.ts";
import { journalBuffer, joinJournal, JournalReader } from "../host/run/ahead_journal.ts";
import { runAhead } from "../host/run/ahead_run.ts";
import type { AheadSource } from "../host/run/ahead_take.ts";
import { recordBytes } from "../host/run/ahead_request.ts";
import { type Engine, wasmEngine } from "../host/run/engine.ts";
import { TaskTlb } from "../host/tlb/tlb.ts";

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
 * other thread were infinitely fast (or until `records` records fill the journal, as if
 * it stopped there); `started` counts them.
 */
export function inlineAhead(engine: Engine, records = Infinity): AheadSource & { started: number } {
  return {
    worthAccesses: 0,
    started: 0,
    start(request) {
      this.started++;
      const mark = engine.memory.usedBytes;
      const tlbBytes = new TaskTlb(engine.memory, engine.tlbCore, request.preset, request.virtualization).state().length;
      const buffer = journalBuffer(Math.min(256 << 20, records * recordBytes(tlbBytes)));
      joinJournal(buffer);
      try {
        runAhead(engine, request, buffer);
      } finally {
        engine.memory.rewind(mark);
      }
      return new JournalReader(buffer);
    },
  };
}
