import { describe, expect, test } from "vitest";
import type { VariantName } from "../host/kernel/variants/mod.ts";
import { compareOnWorkers } from "../host/node/compare_pool.ts";
import { makeEngine } from "../host/node/make_engine.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { compareScenario, type RunEvent } from "../host/run/mod.ts";
import { loadPreset, type Scenario } from "../host/scenario/mod.ts";

/** hot1-cold-hot2 cut short: 20 memsets of 64 Ki lines a task, and 300,000 measured loads. */
function shortSeed(): Scenario {
  const cut = (steps: unknown[]): unknown[] => steps.map((s) => {
    const step = { ...(s as Record<string, unknown>) };
    if (step.do === "repeat") Object.assign(step, { times: 20, steps: cut(step.steps as unknown[]) });
    if (step.do === "access") step.count = Math.min(step.count as number, step.measure ? 300_000 : 65_536);
    return step;
  });
  const s = loadPreset("hot1-cold-hot2");
  return { ...s, variants: ["baseline", "lazyfree-skip", "lazyfree-keep"], tasks: s.tasks.map((t) => ({ ...t, steps: cut(t.steps) })) } as Scenario;
}

describe("compareOnWorkers()", () => {
  test("gives the bytes compareScenario() gives on one thread: report, --json, traces and frames in order", async () => {
    const scenario = shortSeed();
    const options = { tlbMode: "exact" as const, trace: true, frames: true };
    const record = (into: RunEvent[]) => (e: RunEvent) => { if (e.type === "frame") into.push(e); };
    const single: RunEvent[] = [];
    const parallel: RunEvent[] = [];
    const one = await compareScenario(scenario, await makeEngine("wasm"), { ...options, onEvent: record(single) });
    const many = await compareOnWorkers(scenario, scenario.variants as VariantName[], "wasm", options, record(parallel));
    const tool = { name: "khugesim", version: "test" };
    expect(comparisonJson(many, { tool })).toBe(comparisonJson(one, { tool }));
    expect(formatComparison(many)).toBe(formatComparison(one));
    expect(many.results.map((r) => r.trace)).toEqual(one.results.map((r) => r.trace));
    expect(parallel).toEqual(single);
    // The runs simulated every access, and the variants differ: the comparison is not vacuous.
    expect(many.results.every((r) => r.tlbMode === "exact")).toBe(true);
    expect(new Set(many.results.map((r) => JSON.stringify(r.tasks))).size).toBeGreaterThan(1);
  }, 120_000);

  test("rejects with the run's own error when a variant cannot run", async () => {
    const scenario = shortSeed();
    await expect(compareOnWorkers(scenario, ["baseline", "no-such-variant" as VariantName], "wasm", { tlbMode: "exact" }))
      .rejects.toThrow(/no-such-variant/);
  }, 120_000);
});
