/**
 * A scenario's timeline before it runs: when it would end, and the limits that keep a run
 * bounded in time and memory (samples, steps, accesses that fit a sampling interval).
 * The loader reports a breach as a bad scenario; runScenario refuses it too.
 */
import {
  type AccessStep, MAX_SIM_S, type Scenario, simTimeTooLong, type Step, type TaskSpec,
} from "./scenario_schema.ts";
import { accessNs, BARE_METAL, type CostModel } from "../tlb/cost_model.ts";
import { seedLine } from "../tlb/cost_band.ts";
import { partsLine } from "../tlb/cost_parts.ts";
import { machineVirtualization } from "../tlb/virtualization.ts";

/** The most points of a run's time series (a day at 1 s fits); each holds a sample of every task. */
const MAX_SAMPLES = 100_000;
/** The most steps a task and its forked children run, repeats unrolled. */
const MAX_STEPS = 1_000_000;

/** The cost line of a scenario's `costModel` (the parts line follows its `machine.virtualization`). */
export function costModelOf(scenario: Pick<Scenario, "costModel" | "machine">): CostModel {
  if (scenario.costModel === "zen5-parts") {
    // The parts line reads the host's most common page size only, which no seed changes.
    return partsLine(machineVirtualization(scenario.machine.virtualization, 0));
  }
  return scenario.costModel === "kvm-guest" ? seedLine("kvm-guest") : BARE_METAL;
}

/** The time an access of `step` spends outside the timed load: as given, else the cost model's offset generation. */
export function accessOverheadNs(step: AccessStep, model: CostModel): number {
  return step.overheadNsPerAccess ?? model.offsetSecondsPerAccess * 1e9;
}

/**
 * When a scenario without durationS ends, estimated from its steps: sleeps as written,
 * access phases at their rate or at the cost model's fastest pace. It is a lower bound,
 * for progress bars.
 */
export function estimateEndS(scenario: Scenario, model: CostModel = costModelOf(scenario)): number {
  return scenario.tasks.reduce((end, task) => Math.max(end, taskEndS(task, model)), 0);
}

/** An access phase as estimateEndS places it: when it starts and its estimated accesses and seconds. */
export interface PhaseEstimate {
  step: AccessStep;
  startS: number;
  accesses: number;
  seconds: number;
}

/**
 * When `task` and the children it forks end, by estimateEndS's rules; `onPhase` sees
 * each access phase on the way (an `untilEnd` phase with its accesses per second as
 * `accesses` and no seconds: it lasts to the run's end).
 */
export function taskEndS(task: TaskSpec, model: CostModel, onPhase?: (p: PhaseEstimate) => void): number {
  let end = 0;
  /** Walk `steps` from time `t`; returns when they end. Forked children end on their own. */
  const walk = (steps: Step[], t: number): number => {
    for (const step of steps) {
      if (step.do === "sleep") t += step.seconds;
      else if (step.do === "repeat") for (let r = 0; r < step.times; r++) t = walk(step.steps, t);
      else if (step.do === "fork") end = Math.max(end, walk(step.steps, t));
      else if (step.do === "access") {
        const ns = step.rate ? 1e9 / step.rate : accessNs(model, 0, accessOverheadNs(step, model));
        const seconds = step.durationS ?? (step.count ?? 0) * ns * 1e-9;
        onPhase?.({ step, startS: t, seconds, accesses: step.count ?? (step.untilEnd ? 1e9 / ns : seconds / (ns * 1e-9)) });
        t += seconds;
      }
    }
    return t;
  };
  // walk() raises `end` at each fork: read `end` only after it has run.
  const own = walk(task.steps, task.startS);
  return Math.max(end, own);
}

/** A scenario field at fault (its path as the file spells it) and the reason. */
export interface RunLimitProblem {
  path: string;
  reason: string;
}

const thousands = (n: number): string => n.toLocaleString("en-US");
/** A derived number as a message shows it: 12 significant digits, so 1e6 does not read 1000000.0000000001. */
const shown = (x: number): number => Number(x.toPrecision(12));

/**
 * What would keep `scenario` from running in bounded time and memory, checked before
 * anything runs: the loader reports it as a bad scenario, runScenario refuses it.
 */
export function runLimitProblem(scenario: Scenario): RunLimitProblem | null {
  const intervalNs = Math.round(scenario.intervalS * 1e9);
  // A zero interval would put the sampling grid's next point at the same instant forever.
  if (!(intervalNs >= 1)) {
    return { path: "intervalS", reason: `must be at least 1 ns, a tick of the clock, got ${scenario.intervalS}` };
  }
  const model = costModelOf(scenario);
  for (const [i, task] of scenario.tasks.entries()) {
    const steps = stepCount(task.steps);
    if (steps > MAX_STEPS) {
      const reason = `must run at most ${thousands(MAX_STEPS)} steps, repeats unrolled`;
      return { path: `tasks[${i}].steps`, reason: `${reason}, got ${steps}` };
    }
    const stalled = stalledPhase(task.steps, `tasks[${i}].steps`, model, intervalNs);
    if (stalled !== null) return stalled;
  }
  const { durationS } = scenario;
  if (durationS !== undefined && !(durationS <= MAX_SIM_S)) {
    return { path: "durationS", reason: simTimeTooLong(durationS) };
  }
  let endS = durationS ?? 0;
  if (durationS === undefined) {
    for (const [i, task] of scenario.tasks.entries()) {
      const taskEnd = taskEndS(task, model);
      if (!(taskEnd <= MAX_SIM_S)) {
        const reason = `must end within ${MAX_SIM_S} s (100 days of simulated time) unless durationS ends the run`;
        return { path: `tasks[${i}].steps`, reason: `${reason}, got at least ${shown(taskEnd)} s` };
      }
      endS = Math.max(endS, taskEnd);
    }
  }
  const samples = Math.ceil(Math.round(endS * 1e9) / intervalNs);
  if (samples > MAX_SAMPLES) {
    const span = durationS !== undefined ? "durationS" : `the tasks' ${shown(endS)} s`;
    const reason = `must keep the time series to at most ${thousands(MAX_SAMPLES)} samples`;
    return { path: "intervalS", reason: `${reason}, got ${span} / intervalS = ${samples}` };
  }
  return null;
}

/** Steps run by `steps`, repeats unrolled and forks' steps included; an empty round counts as one. */
function stepCount(steps: Step[]): number {
  let n = 0;
  for (const step of steps) {
    if (step.do === "repeat") n += step.times * Math.max(1, stepCount(step.steps));
    else if (step.do === "fork") n += 1 + stepCount(step.steps);
    else n++;
  }
  return n;
}

/**
 * The first access phase of `steps` whose one access would not fit in a sampling
 * interval: its chunks end at the interval's end, so it would never make progress.
 */
function stalledPhase(steps: Step[], at: string, model: CostModel, intervalNs: number): RunLimitProblem | null {
  for (const [k, step] of steps.entries()) {
    const path = `${at}[${k}]`;
    if (step.do === "repeat" || step.do === "fork") {
      const inner = stalledPhase(step.steps, `${path}.steps`, model, intervalNs);
      if (inner !== null) return inner;
    } else if (step.do === "access" && step.rate !== undefined) {
      if (intervalNs / (1e9 / step.rate) < 1) {
        const least = shown(1e9 / intervalNs);
        const reason = `must be at least 1 / intervalS (${least}) so that an access fits in one sampling interval`;
        return { path: `${path}.rate`, reason: `${reason}, got ${step.rate}` };
      }
    } else if (step.do === "access") {
      const overheadNs = accessOverheadNs(step, model);
      if (intervalNs / accessNs(model, 0, overheadNs) < 1) {
        const reason = `must leave room in a sampling interval (intervalS: ${intervalNs} ns) ` +
          `for the cost model's ${accessNs(model, 0, 0).toFixed(2)} ns per access`;
        return { path: `${path}.overheadNsPerAccess`, reason: `${reason}, got ${overheadNs}` };
      }
    }
  }
  return null;
}
