/**
 * One task's simulating ahead through a run: a speculation asked for at a pause, its
 * chunks taken while they hold, and a new one at a later pause. A task whose
 * speculations keep failing (khugepaged collapsing its PMDs one wake-up after another)
 * is asked for less often: after the n-th failure in a row, 2^n pauses pass first, so
 * threads go to the speculations that hold. Pauses whose steps ahead were found not worth
 * a speculation do not ask again.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import type { TaskTlb } from "../tlb/tlb.ts";
import type { ChunkResult, StreamSim } from "./access_sim.ts";
import { type AheadPlanInput, type AheadRun, startAhead } from "./ahead_plan.ts";
import type { AheadSource, AheadTake } from "./ahead_take.ts";

/** The longest wait after failures, in pauses. */
const MAX_SKIP = 1024;

export class TaskAhead {
  readonly #run: AheadRun;
  readonly #source: AheadSource;
  #take: AheadTake | null = null;
  #failures = 0;
  #skip = 0;

  constructor(run: AheadRun, source: AheadSource) {
    this.#run = run;
    this.#source = source;
  }

  /** The task pauses before `input.steps`: ask for them unless a speculation is on or recent ones failed. */
  paused(input: AheadPlanInput): void {
    if (this.#take !== null) return;
    if (this.#skip > 0) {
      this.#skip--;
      return;
    }
    const started = startAhead(this.#run, this.#source, input);
    if ("skip" in started) this.#skip = started.skip;
    else this.#take = started;
  }

  /** The chunk as speculated (AheadTake.take()), or null: the run simulates it. */
  take(memory: CoreMemory, dir: number, tlb: TaskTlb, sim: StreamSim, now: number, maxAccesses: number, budgetNs: number):
    ChunkResult | null {
    const res = this.#take?.take(memory, dir, tlb, sim, now, maxAccesses, budgetNs) ?? null;
    if (res === null && this.#take !== null) {
      if (this.#take.failed) this.#skip = Math.min(MAX_SKIP, 2 ** this.#failures++);
      else this.#failures = 0;
      this.#take = null;
    }
    return res;
  }

  /** The task accesses no more. */
  stop(): void {
    this.#take?.drop();
    this.#take = null;
  }
}
