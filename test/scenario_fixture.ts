/** Shared helpers of the scenario tests. */
import { expect } from "vitest";
import { ScenarioError } from "../host/scenario/mod.ts";

/** The message of what `fn` throws, checking it is a ScenarioError with `path`. */
export function scenarioFailure(fn: () => unknown, path: string): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).path).toBe(path);
    return (err as Error).message;
  }
  throw new Error("expected a ScenarioError");
}
