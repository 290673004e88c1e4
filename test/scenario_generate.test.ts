/**
 * `generate:` in a scenario: parseSynthSpec's checks reported as ScenarioErrors with the
 * field path, a map generated at time 0 that khugepaged collapses, its mms reported by
 * name, and the same JSON for the same seed.
 */
import { describe, expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { formatRun } from "../host/report/run_report.ts";
import { compareScenario, type Engine, runScenario, wasmEngine } from "../host/run/mod.ts";
import { loadPreset, parseScenarioText, type ScenarioInput, validateScenario } from "../host/scenario/mod.ts";
import { scenarioFailure } from "./scenario_fixture.ts";

async function engine(): Promise<Engine> {
  const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
  return wasmEngine(memory, core);
}


/** 64 MiB of full, young, private PMDs in two mms, MADV_HUGEPAGE'd, and one minute of khugepaged. */
const SMALL: ScenarioInput = {
  name: "small-map",
  variants: ["baseline", "lazyfree-skip"],
  tunables: { enabled: "madvise", "khugepaged/scan_sleep_millisecs": 100 },
  durationS: 60,
  generate: { tasks: 2, size: "64MiB", vmaSize: { dist: "fixed", size: "8MiB" }, madvHugepage: true },
  tasks: [],
};

describe("validateScenario() with generate", () => {
  test("validateScenario() rejects a generate.size that is not a multiple of 2 MiB, naming the field", () => {
    const text = "name: g\ndurationS: 10\ngenerate: { size: 1000 }\n";
    expect(scenarioFailure(() => parseScenarioText(text, "g.yaml"), "generate.size"))
      .toBe('Cannot load scenario "g.yaml": generate.size must be a positive multiple of 2 MiB, got 1000');
    expect(scenarioFailure(() => parseScenarioText('name: g\ndurationS: 10\ngenerate: { size: "lots" }\n', "g.yaml"), "generate.size"))
      .toBe('Cannot load scenario "g.yaml": generate.size must be a byte count such as "1TiB" or "64MiB", got "lots"');
  });

  test("validateScenario() names the nested field of a bad generate entry", () => {
    const s = (generate: unknown) => ({ name: "g", durationS: 10, generate });
    expect(scenarioFailure(() => validateScenario(s({ vmaSize: { dist: "fixed", size: "3MiB" } }), "g.json"), "generate.vmaSize.size"))
      .toMatch(/generate\.vmaSize\.size must be a positive multiple of 2 MiB, got 3145728$/);
    expect(scenarioFailure(() => validateScenario(s({ colour: "red" }), "g.json"), "generate.colour"))
      .toMatch(/^Cannot load scenario "g\.json": generate\.colour is not a known field: expected one of preset, /);
    expect(scenarioFailure(() => validateScenario(s("1TiB"), "g.json"), "generate"))
      .toBe('Cannot load scenario "g.json": generate must be an object, got string');
  });

  test("validateScenario() accepts a scenario without tasks only when it generates a map", () => {
    expect(validateScenario(structuredClone(SMALL), "s").tasks).toEqual([]);
    expect(scenarioFailure(() => validateScenario({ name: "x" }, "x.json"), "tasks")).toBe('Cannot load scenario "x.json": tasks is required');
    expect(scenarioFailure(() => validateScenario({ name: "x", tasks: [] }, "x.json"), "tasks"))
      .toBe('Cannot load scenario "x.json": tasks must have at least 1 item');
    expect(scenarioFailure(() => validateScenario({ name: "x", generate: {} }, "x.json"), "durationS"))
      .toMatch(/durationS is required when the scenario has no tasks/);
  });

  test("validateScenario() rejects a task named like a generated mm", () => {
    const s = { ...structuredClone(SMALL), tasks: [{ name: "synth-1" }] };
    expect(scenarioFailure(() => validateScenario(s, "s.json"), "tasks[0].name"))
      .toBe('Cannot load scenario "s.json": tasks[0].name must be unique, "synth-1" is already used by generate');
  });
});

describe("runScenario() with generate", () => {
  test("runScenario() generates the map at time 0 and khugepaged collapses every PMD of it", async () => {
    const r = await runScenario(validateScenario(structuredClone(SMALL), "s"), await engine());
    expect(r.tasks).toEqual([]);
    expect(r.generated!.map((g) => g.name)).toEqual(["synth-0", "synth-1"]);
    for (const g of r.generated!) {
      expect(g.initialAnonHugePagesKb).toBe(0);
      expect(g.anonHugePagesKb).toBe(32 * 1024);
      expect(g.collapses.count).toBe(16);
      expect(g.collapses.firstS).toBeGreaterThanOrEqual(0);
      expect(g.collapses.lastS).toBeLessThan(60);
    }
    expect(r.khugepaged.pagesCollapsed).toBe(32);
    expect(r.endS).toBe(60);
    expect(formatRun(r)).toMatch(/^ {2}synth-0 \(generated\): khugepaged collapsed 16 PMDs, .*; AnonHugePages 0 kB after generation, 32,768 kB at the end$/m);
  });

  test("runScenario() leaves generated out of the result of a scenario without generate", async () => {
    const s = validateScenario({ name: "plain", durationS: 1, tasks: [{ name: "t", steps: [{ do: "sleep", seconds: 1 }] }] }, "p");
    expect(await runScenario(s, await engine())).not.toHaveProperty("generated");
  });

  test("runScenario() refuses a generated map that does not fit the core memory with a ScenarioError", async () => {
    const s = validateScenario({ name: "big", durationS: 1, generate: { size: "1TiB", dedup: false } }, "big");
    await expect(runScenario(s, await engine())).rejects.toThrow(
      /^Cannot run scenario "big": generate cannot be built: it needs (at least )?\d+ bytes of core memory, and \d+ bytes of the 268435456-byte limit are free; lower generate.size or set generate.dedup to true$/);
  });

  test("runScenario() runs a generated map beside the scenario's tasks", async () => {
    const s = validateScenario({
      ...structuredClone(SMALL),
      tasks: [{ name: "t", vmas: [{ name: "buf", size: "4 MiB", populate: true, flags: ["hugepage"] }], steps: [{ do: "sleep", seconds: 5 }] }],
    }, "s");
    const r = await runScenario(s, await engine());
    expect(r.tasks.map((t) => t.name)).toEqual(["t"]);
    expect(r.generated!.reduce((n, g) => n + g.collapses.count, 0)).toBe(32);
    expect(r.khugepaged.pagesCollapsed).toBe(32 + r.tasks[0].collapses.count);
  });

  test("compareScenario() on the synthetic-1tib preset collapses under both variants, the lazy-free skip further", async () => {
    const c = await compareScenario(loadPreset("synthetic-1tib"), await engine());
    const [base, skip] = c.results;
    expect(base.generated).toHaveLength(16);
    expect(base.khugepaged.pagesCollapsed).toBeGreaterThan(1000);
    expect(skip.khugepaged.pagesCollapsed).toBeGreaterThan(base.khugepaged.pagesCollapsed);
    expect(base.generated!.reduce((n, g) => n + g.collapses.count, 0)).toBe(base.khugepaged.pagesCollapsed);
    const text = formatComparison(c);
    expect(text).toMatch(/^synth-0 \(generated\) +\d+ PMDs, /m);
    expect(text).not.toMatch(/measurement phase/);
  }, 30_000);

  test("compareScenario() gives the same JSON for the same seed, and another for another seed", async () => {
    const input: ScenarioInput = { ...structuredClone(SMALL), generate: { preset: "realistic", size: "4GiB", tasks: 3, madvHugepage: true } };
    const json = async (seed: number) =>
      comparisonJson(await compareScenario(validateScenario({ ...structuredClone(input), seed }, "s"), await engine()));
    const a = await json(3);
    expect(await json(3)).toBe(a);
    expect(await json(4)).not.toBe(a);
    const r = JSON.parse(a).results.baseline;
    expect(Object.keys(r.generated)).toEqual(["synth-0", "synth-1", "synth-2"]);
    expect(r.generated["synth-0"].collapses).toBeGreaterThan(0);
    expect(r.generated["synth-0"].initialAnonHugeKb).toBeGreaterThan(0);
  }, 30_000);
});
