/**
 * How much work a run is, for a progress bar that moves with the wall clock instead of
 * simulated time: the accesses the TLB model will simulate, placed on the simulated
 * timeline where estimateEndS places their phases. Simulated time is a poor guide: the
 * seed's 150 s of memsets (a page-granular sweep, one simulated access per page) take a
 * second, its last seconds of random loads most of the run.
 */
import type { Scenario } from "../scenario/scenario_schema.ts";
import { costModelOf, estimateEndS, taskEndS } from "../scenario/run_limits.ts";
import { tlbPreset } from "../tlb/presets.ts";
import { DEFAULT_SAMPLE, defaultWarmupAccesses } from "../tlb/sampler.ts";
import { perSimOf } from "./access_sim.ts";

/**
 * Work of a sampling interval apart from accesses (khugepaged, faults, the sample itself),
 * in simulated accesses: so that a run of sleeps moves too.
 */
const INTERVAL_WORK = 10_000;

/** A phase's work spread evenly over [startS, endS]. */
interface PhaseWork {
  startS: number;
  endS: number;
  work: number;
}

/** The work of one run of a scenario: its total, and how much of it is done at a simulated time. */
export interface RunWork {
  total: number;
  doneAt(timeS: number): number;
}

/**
 * The expected work of running `s` once: with `exact`, every access of a phase is
 * simulated; otherwise an interval's chunk beyond a warm-up and a sample is extrapolated.
 */
export function runWork(s: Scenario, exact: boolean): RunWork {
  const model = costModelOf(s);
  const endS = s.durationS ?? estimateEndS(s, model);
  const chunkCap = DEFAULT_SAMPLE + defaultWarmupAccesses(tlbPreset(s.tlb));
  const phases: PhaseWork[] = [];
  for (const task of s.tasks) {
    taskEndS(task, model, (p) => {
      const phaseEnd = Math.min(endS, p.step.untilEnd && p.seconds === 0 ? endS : p.startS + p.seconds);
      const seconds = Math.max(0, phaseEnd - p.startS);
      const accesses = p.step.untilEnd && p.seconds === 0 ? p.accesses * seconds : p.accesses * Math.min(1, seconds / (p.seconds || 1));
      const sims = accesses / perSimOf(p.step.pattern);
      const intervals = Math.max(1, Math.ceil(seconds / s.intervalS));
      const work = exact ? sims : intervals * Math.min(sims / intervals, chunkCap);
      if (work > 0) phases.push({ startS: p.startS, endS: phaseEnd, work });
    });
  }
  const doneAt = (timeS: number): number => {
    let done = (INTERVAL_WORK * Math.min(timeS, endS)) / s.intervalS;
    for (const p of phases) {
      if (timeS >= p.endS) done += p.work;
      else if (timeS > p.startS) done += (p.work * (timeS - p.startS)) / (p.endS - p.startS);
    }
    return done;
  };
  // The same sum at the end, so that doneAt() reaches the total exactly.
  const total = doneAt(Infinity);
  return { total, doneAt: (timeS) => Math.min(total, doneAt(timeS)) };
}
