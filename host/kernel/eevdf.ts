/**
 * How much CPU a waking khugepaged gets on a CPU busy with other tasks, under EEVDF
 * (Linux 6.6+, kernel/sched/fair.c). A small event simulation of one runqueue:
 *
 * - every entity has a weight w, a vruntime v advancing by Δt·NICE_0_LOAD/w while it runs,
 *   and a deadline d = v + slice·NICE_0_LOAD/w, renewed when v passes it (`update_deadline`);
 * - V is the load-weighted mean of v (`avg_vruntime`); an entity is eligible when v ≤ V
 *   (`entity_eligible`), and `pick_eevdf` runs the eligible entity with the earliest deadline;
 * - a picked entity keeps the CPU for its slice (`RUN_TO_PARITY`, `set_protect_slice`);
 * - khugepaged wakes from a long sleep with lag 0 (`place_entity`: a sleeper's negative lag
 *   has been paid off by `DELAY_DEQUEUE` while it slept, and it slept because it was done):
 *   v = V, so it is eligible at once but its deadline lies a nice-19 vslice (68× the slice)
 *   ahead; it runs as soon as the running task's slice ends and the others' v passes V.
 *
 * Not modelled: wake-up preemption by a shorter custom slice, migration between CPUs
 * during the burst, and the running task's place in its slice, taken as half used.
 */
import { NICE_0_LOAD } from "./sched_weights.ts";

interface Entity {
  w: number;
  v: number;
  d: number;
}

/** The most picks one burst may take: a guard against a runaway loop, far above any real burst. */
const MAX_PICKS = 10_000_000;

/**
 * One burst of khugepaged's work after a wake-up, on a CPU whose other runnable tasks
 * weigh `competitors`: `wallAt(cpu)` says when, after the wake-up, it has done `cpu` ns
 * of work. The runqueue is simulated on demand, as far as the work asked about.
 */
export class EevdfBurst {
  readonly #all: Entity[];
  readonly #k: Entity;
  readonly #sliceNs: number;
  /** khugepaged's running stretches so far: from `wall` it does work [cpu, cpu + len). */
  readonly #segments: Array<{ wall: number; cpu: number; len: number }> = [];
  #wall = 0;
  #picks = 0;

  constructor(competitors: readonly number[], weight: number, sliceNs: number) {
    this.#sliceNs = sliceNs;
    // The others have been sharing the CPU: v = 0, deadlines staggered over one vslice.
    const others = competitors.map((w, i) => ({ w, v: 0, d: (this.#vslice(w) * (i + 1)) / competitors.length }));
    this.#k = { w: weight, v: 0, d: this.#vslice(weight) };
    this.#all = [...others, this.#k];
    if (others.length === 0) {
      this.#segments.push({ wall: 0, cpu: 0, len: Infinity });
      return;
    }
    // The running task finishes the half of its slice it has left.
    this.#run(others[0], sliceNs / 2);
  }

  #vslice(w: number): number {
    return (this.#sliceNs * NICE_0_LOAD) / w;
  }

  #run(e: Entity, ns: number): void {
    if (e === this.#k) {
      const last = this.#segments.at(-1);
      const cpu = last ? last.cpu + last.len : 0;
      if (last && last.wall + last.len === this.#wall) last.len += ns;
      else this.#segments.push({ wall: this.#wall, cpu, len: ns });
    }
    this.#wall += ns;
    e.v += (ns * NICE_0_LOAD) / e.w;
    if (e.v >= e.d) e.d = e.v + this.#vslice(e.w);
  }

  /** The wall time, ns after the wake-up, at which khugepaged has done `cpuNs` of its work. */
  wallAt(cpuNs: number): number {
    for (;;) {
      for (const s of this.#segments) if (cpuNs <= s.cpu + s.len) return s.wall + Math.max(0, cpuNs - s.cpu);
      if (++this.#picks > MAX_PICKS) throw new RangeError(`EEVDF burst did not reach ${cpuNs} ns of work in ${MAX_PICKS} picks`);
      this.#run(pick(this.#all), this.#sliceNs);
    }
  }
}

/** `pick_eevdf()`: the eligible entity (v ≤ V, V the load-weighted mean) with the earliest deadline. */
function pick(all: readonly Entity[]): Entity {
  let wsum = 0, vsum = 0;
  for (const e of all) {
    wsum += e.w;
    vsum += e.w * e.v;
  }
  const avg = vsum / wsum;
  let best: Entity | null = null;
  for (const e of all) if (e.v <= avg + 1e-6 && (best === null || e.d < best.d)) best = e;
  return best!;
}
