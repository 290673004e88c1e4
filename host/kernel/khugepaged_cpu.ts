/**
 * Where khugepaged's work runs: on a free CPU (the default: its work takes its CPU time),
 * or on `machine.cpus` CPUs shared with the scenario's runnable tasks, where it gets the
 * least-loaded CPU and EEVDF decides when its work is done (eevdf.ts).
 */
import { EevdfBurst } from "./eevdf.ts";
import { KHUGEPAGED_WEIGHT } from "./sched_weights.ts";

/** When each part of a pass's work is done: `wall(start)(elapsed)` is the simulated time. */
export interface KhugepagedCpu {
  wall(startNs: number): (elapsedNs: number) => number;
}

/** A CPU of its own: work takes exactly its CPU time. */
export const FREE_CPU: KhugepagedCpu = { wall: (start) => (elapsed) => start + elapsed };

/**
 * `sysctl_sched_base_slice` (700 µs since 6.13) scaled as `SCHED_TUNABLESCALING_LOG` does,
 * by 1 + ilog2(min(cpus, 8)): 1.4 ms on 2 CPUs, as /proc/PID/sched's se.slice reads on
 * this project's 2-vCPU 6.18 guest.
 */
export function baseSliceNs(cpus: number): number {
  return 700_000 * (1 + Math.floor(Math.log2(Math.min(cpus, 8))));
}

/** The runnable tasks' weights spread over `cpus` (heaviest first, each to the lightest CPU); the lightest CPU's. */
export function leastLoaded(cpus: number, weights: readonly number[]): number[] {
  const queues: number[][] = Array.from({ length: cpus }, () => []);
  const load = new Array<number>(cpus).fill(0);
  const lightest = () => load.indexOf(Math.min(...load));
  for (const w of [...weights].sort((a, b) => b - a)) {
    const c = lightest();
    queues[c].push(w);
    load[c] += w;
  }
  return queues[lightest()];
}

/** `cpus` CPUs shared with the tasks `runnable()` returns the weights of. */
export function sharedCpus(cpus: number, runnable: () => number[]): KhugepagedCpu {
  if (!(Number.isInteger(cpus) && cpus >= 1)) throw new RangeError(`machine.cpus must be a whole number of at least 1, got ${cpus}`);
  const slice = baseSliceNs(cpus);
  return {
    wall(start) {
      const competitors = leastLoaded(cpus, runnable());
      if (competitors.length === 0) return FREE_CPU.wall(start);
      const burst = new EevdfBurst(competitors, KHUGEPAGED_WEIGHT, slice);
      return (elapsed) => start + Math.round(burst.wallAt(elapsed));
    },
  };
}
