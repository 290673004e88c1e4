/**
 * A task's steps from where its walk stands, known before they run: what a speculation
 * of its access phases may replay (ahead_plan.ts). The walk keeps one level per nesting
 * of `repeat`.
 */
import type { Step } from "../scenario/scenario_schema.ts";

/** One nesting level of a task's walk: its steps, the step being run, and the repetitions of these steps still to come. */
export interface WalkLevel {
  readonly steps: readonly Step[];
  i: number;
  readonly repeatsLeft: number;
}

function* unrolled(steps: readonly Step[], from = 0): Generator<Step> {
  for (let i = from; i < steps.length; i++) {
    const s = steps[i];
    if (s.do === "repeat") for (let r = 0; r < s.times; r++) yield* unrolled(s.steps);
    else yield s;
  }
}

/** The steps from the one being run (included) on, repeats unrolled. */
export function* upcomingSteps(levels: readonly WalkLevel[]): Generator<Step> {
  for (let d = levels.length - 1; d >= 0; d--) {
    const level = levels[d];
    yield* unrolled(level.steps, d === levels.length - 1 ? level.i : level.i + 1);
    for (let r = 0; r < level.repeatsLeft; r++) yield* unrolled(level.steps);
  }
}
