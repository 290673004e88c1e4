import { expect, test } from "vitest";
import type { Step } from "../host/scenario/mod.ts";
import { upcomingSteps, type WalkLevel } from "../host/run/upcoming.ts";

const sleep = (seconds: number) => ({ do: "sleep", seconds }) as Step;

test("upcomingSteps() unrolls the rest of each level, the repetitions left of it, then the levels above", () => {
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(sleep);
  const inner = [c, d];
  const middle = [b, { do: "repeat", times: 2, steps: inner } as Step];
  const top = [a, { do: "repeat", times: 3, steps: middle } as Step, e];
  // At c in the inner repeat's second round, in the middle repeat's first of three.
  const levels: WalkLevel[] = [
    { steps: top, i: 1, repeatsLeft: 0 },
    { steps: middle, i: 1, repeatsLeft: 2 },
    { steps: inner, i: 0, repeatsLeft: 0 },
  ];
  expect([...upcomingSteps(levels)]).toEqual([c, d, b, c, d, c, d, b, c, d, c, d, e]);
  // At d with one more inner round to come.
  levels[2] = { steps: inner, i: 1, repeatsLeft: 1 };
  expect([...upcomingSteps(levels)].slice(0, 4)).toEqual([d, c, d, b]);
});
