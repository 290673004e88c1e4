/**
 * A run's side of a speculation: at each chunk of the task, the speculated record is
 * taken only when the chunk starts from exactly what the speculation assumed (start,
 * access limit, budget, stream state and position, TLB state, and the translations the
 * TLB can read); the first chunk that differs drops the speculation and the run
 * simulates it itself. Results are therefore those of the run alone, however far ahead
 * or behind the other thread is.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import type { TaskTlb } from "../tlb/tlb.ts";
import type { ChunkResult, StreamSim } from "./access_sim.ts";
import { type AheadChunk, type AheadRequest, samePages, setStreamWords, streamWords } from "./ahead_request.ts";

/** A journal as a run reads it (ahead_journal.ts's JournalReader, or a stand-in). */
export interface AheadReader {
  /** Record `n`, waiting for it; null when the speculation ended before it. */
  record(n: number): AheadChunk | null;
  /** Read no more. */
  leave(): void;
}

/** Where speculations come from: started from a request, read through a reader (null: none started). */
export interface AheadSource {
  /** Fewest simulated accesses a task's upcoming phases must promise to be simulated ahead. */
  readonly worthAccesses: number;
  start(request: AheadRequest): AheadReader | null;
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The chunks of one speculation, taken in order while they match. */
export class AheadTake {
  readonly #reader: AheadReader;
  readonly #pages: AheadRequest["pages"];
  /** Real accesses per simulated one of each stream (StreamSim.perSim): not in the stream's words. */
  readonly #perSim: number[];
  /** The TLB state the next record starts from (record 0's for the first). */
  #tlb: Uint8Array | null = null;
  #next = 1;
  /** Whether the speculation was dropped for a chunk it had wrong, or before it gave any. */
  failed = false;

  constructor(reader: AheadReader, request: AheadRequest, perSim: number[]) {
    this.#reader = reader;
    this.#pages = request.pages;
    this.#perSim = perSim;
  }

  /**
   * The speculated result of the chunk at `now` of up to `maxAccesses` in `budgetNs`,
   * with `tlb` and `sim` advanced as simulating it would; null when the speculation
   * does not hold (it is dropped: take() returns null from then on).
   */
  take(memory: CoreMemory, dir: number, tlb: TaskTlb, sim: StreamSim, now: number, maxAccesses: number, budgetNs: number):
    ChunkResult | null {
    if (this.#next === Infinity) return null;
    this.#tlb ??= this.#reader.record(0)?.tlbAfter ?? null;
    const r = this.#tlb === null ? null : this.#reader.record(this.#next);
    const pages = this.#pages;
    if (
      r === null || r.now !== now || r.maxAccesses !== maxAccesses || r.budgetNs !== budgetNs ||
      this.#perSim[r.stream] !== sim.perSim || r.realIndexBefore !== sim.realIndex ||
      !sameWords(r.streamBefore, streamWords(memory, sim.stream.ptr)) || !sameWords(tlb.state(), this.#tlb!) ||
      !samePages(memory, dir, pages)
    ) {
      this.failed = r !== null || this.#next === 1;
      this.drop();
      return null;
    }
    setStreamWords(memory, sim.stream.ptr, r.streamAfter);
    sim.realIndex = r.realIndexAfter;
    tlb.state().set(r.tlbAfter);
    this.#tlb = r.tlbAfter;
    this.#next++;
    return r.result;
  }

  /** Take nothing more. */
  drop(): void {
    this.#tlb = null;
    this.#next = Infinity;
    this.#reader.leave();
  }
}
