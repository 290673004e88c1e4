/**
 * A task's access streams, one per access step: a repeated sweep goes on where it
 * stopped. A stream is made for the mm's directory as it is; when the directory has
 * moved, the step gets a new stream with the next seed.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import type { Mm } from "../mm/mm.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import type { AccessStep } from "../scenario/scenario_schema.ts";
import { StreamSim } from "./access_sim.ts";
import { streamWords } from "./ahead_request.ts";
import { mixSeed } from "./rng.ts";

export class TaskStreams {
  readonly #memory: CoreMemory;
  readonly #seed: number;
  readonly #streams = new Map<AccessStep, { sim: StreamSim; dir: number; basePmd: number; seed: number }>();

  /** Streams in `memory`, seeded from the scenario's `seed`. */
  constructor(memory: CoreMemory, seed: number) {
    this.#memory = memory;
    this.#seed = seed;
  }

  /** The stream of `step` over [start, start + len) of `mm`, the task's `taskIndex`-th. */
  get(step: AccessStep, mm: Mm, taskIndex: number, start: number, len: number): StreamSim {
    const now = this.#kept(step, mm);
    if (now !== null) return now.sim;
    const seed = mixSeed(this.#seed, taskIndex, this.#streams.size);
    const region = {
      dir: mm.pt.dir, firstPmd: Math.floor(start / PMD_SIZE) - mm.pt.basePmd, offset: start % PMD_SIZE, length: len,
    };
    const sim = new StreamSim(this.#memory, region, { ...step.pattern, storeFraction: step.writeFraction }, seed);
    this.#streams.set(step, { sim, dir: mm.pt.dir, basePmd: mm.pt.basePmd, seed });
    return sim;
  }

  /**
   * What get() would give `step` now: its seed, and its words and position when it
   * exists (null: new, after `created` other new ones).
   */
  predict(step: AccessStep, mm: Mm, taskIndex: number, created: number):
    { seed: number; state: { words: Uint32Array; realIndex: number } | null } {
    const kept = this.#kept(step, mm);
    if (kept !== null) return { seed: kept.seed, state: { words: streamWords(this.#memory, kept.sim.stream.ptr), realIndex: kept.sim.realIndex } };
    return { seed: mixSeed(this.#seed, taskIndex, this.#streams.size + created), state: null };
  }

  #kept(step: AccessStep, mm: Mm) {
    const s = this.#streams.get(step);
    return s !== undefined && s.dir === mm.pt.dir && s.basePmd === mm.pt.basePmd ? s : null;
  }
}
