/**
 * Simulating a task's access chunks ahead: from an AheadRequest, on an engine of its own
 * (another thread's), the task's upcoming sleeps and access phases chunk by chunk as
 * TaskRun would run them if nothing else touched the task's TLB or translations, each
 * chunk written to a journal. The chunking mirrors TaskRun's: a chunk ends at the next
 * interval or the phase's deadline, the next starts when its accesses' time is up.
 */
import type { Engine } from "./engine.ts";
import { accessNs } from "../tlb/cost_model.ts";
import { TaskTlb } from "../tlb/tlb.ts";
import { zeroCounts } from "../tlb/tlb_counts.ts";
import type { AccessStream } from "../tlb/access_stream.ts";
import { simulateChunk, StreamSim } from "./access_sim.ts";
import { type AheadPhase, type AheadRequest, placePages, setStreamWords, streamWords } from "./ahead_request.ts";
import { JournalWriter, journalRunning } from "./ahead_journal.ts";

/** Thrown inside a chunk when no run reads the journal any more. */
class Unwanted extends Error {}

/**
 * Run `request` on `engine` into the journal in `buffer` until its waits are done, the run's end is
 * passed (true), or the journal is full or no run reads it (false). The engine's memory
 * is used from its current top; the caller rewinds it.
 */
export function runAhead(engine: Engine, request: AheadRequest, buffer: SharedArrayBuffer): boolean {
  const memory = engine.memory;
  const dir = placePages(memory, request.pages);
  const tlb = new TaskTlb(memory, engine.tlbCore, request.preset, request.virtualization);
  journalRunning(buffer);
  const journal = new JournalWriter(buffer, tlb.state().length);
  if (request.tlb !== null) tlb.state().set(request.tlb);
  const sims = request.streams.map((s) => {
    const sim = new StreamSim(memory, { dir, firstPmd: s.firstPmd, offset: s.offset, length: s.length }, s.pattern, s.seed);
    if (s.state !== null) {
      setStreamWords(memory, sim.stream.ptr, s.state.words);
      sim.realIndex = s.state.realIndex;
    }
    return sim;
  });
  // The TLB as simulateChunk sees it, asking before each call whether a run still reads.
  const watched = Object.create(tlb, {
    run: {
      value: (stream: AccessStream, count: number) => {
        if (!journal.wanted()) throw new Unwanted();
        return tlb.run(stream, count);
      },
    },
  }) as TaskTlb;
  const zero = { accesses: 0, counts: zeroCounts(), ns: 0, walksVariance: 0, simulated: 0 };
  const start = { now: 0, maxAccesses: 0, budgetNs: 0, stream: -1, realIndexBefore: 0, realIndexAfter: 0 };
  const none = new Uint32Array(16);
  journal.append({ ...start, streamBefore: none, streamAfter: none, result: zero, tlbAfter: tlb.state() });
  let now = request.startNs;
  try {
    for (const wait of request.waits) {
      if ("sleepNs" in wait) now += wait.sleepNs;
      else now = phase(wait.phase);
      if (now > request.endNs) break;
    }
    return true;
  } catch (err) {
    if (!(err instanceof Unwanted)) throw err;
    return false;
  } finally {
    journal.end();
  }

  /** Run one phase's chunks from `now`; returns when it ends. */
  function phase(p: AheadPhase): number {
    const sim = sims[p.stream];
    const target = p.count;
    const deadline = p.durationNs !== null ? now + p.durationNs : request.endNs;
    const pace = p.pace;
    const nsPerAccess = "rate" in pace ? () => 1e9 / pace.rate : (walks: number) => accessNs(pace.model, walks, pace.overheadNs);
    let done = 0;
    let t = now;
    while (done < target && t < deadline && t <= request.endNs) {
      const grid = (Math.floor(t / request.intervalNs) + 1) * request.intervalNs;
      const boundary = Math.min(grid, deadline);
      const streamBefore = streamWords(memory, sim.stream.ptr);
      const realIndexBefore = sim.realIndex;
      const result = simulateChunk(watched, sim, target - done, boundary - t, nsPerAccess, request.sampling);
      const chunk = {
        now: t, maxAccesses: target - done, budgetNs: boundary - t, stream: p.stream, realIndexBefore,
        realIndexAfter: sim.realIndex, streamBefore, streamAfter: streamWords(memory, sim.stream.ptr), result,
        tlbAfter: tlb.state(),
      };
      if (!journal.append(chunk)) throw new Unwanted();
      if (result.accesses === 0) {
        t = boundary;
        continue;
      }
      done += result.accesses;
      t = Math.min(t + Math.ceil(result.ns), deadline);
    }
    return t;
  }
}
