/**
 * The limits of a generated map: its total size, each task's share of x86-64's user
 * address space, and the loader refusing a `generate:` map that the run could not fit,
 * with the run's own numbers.
 */
import { describe, expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { type ScenarioInput, validateScenario } from "../host/scenario/mod.ts";
import { MAX_MAP_COUNT, planMap } from "../host/synth/plan.ts";
import { MAX_SYNTH_BYTES, parseSynthSpec } from "../host/synth/spec.ts";
import { scenarioFailure } from "./scenario_fixture.ts";

const TiB = 1024 ** 4, MiB = 1024 ** 2;

describe("parseSynthSpec() size limits", () => {
  test("parseSynthSpec() takes at most 256 TiB in all", () => {
    expect(MAX_SYNTH_BYTES).toBe(256 * TiB);
    expect(parseSynthSpec({ size: "256TiB", tasks: 2 }).size).toBe(256 * TiB);
    expect(() => parseSynthSpec({ size: "257TiB", tasks: 8 }))
      .toThrow("generate.size must be at most 256 TiB (281474976710656), got 282574488338432");
    expect(() => parseSynthSpec({ size: "1000TiB", tasks: 8 }, "scenario.generate"))
      .toThrow(/^scenario\.generate\.size must be at most 256 TiB/);
  });
});

describe("planMap() address space", () => {
  test("planMap() keeps each mm's span, VMAs and gaps, within x86-64's user address space below the stack", () => {
    // 64 GiB VMAs a PMD apart: 2,032 of them span 127 TiB + 4,062 MiB, under mmap_base (128 TiB - 128 MiB - 4 KiB);
    // 2,048 span 128 TiB + 4,094 MiB, past it.
    const spec = (tib: number) => parseSynthSpec({ size: `${tib}TiB`, vmaSize: { dist: "fixed", size: "64GiB" } });
    expect(planMap(spec(127)).tasks[0].spanPmds).toBe(127 * 512 * 1024 + 2031);
    expect(() => planMap(spec(128))).toThrow("Cannot generate a synthetic map of 128 TiB: task synth-0's VMAs would span " +
      "134221822 MiB, past what x86-64's 128 TiB user address space holds");
  }, 30_000);
});

describe("planMap() VMA count", () => {
  test("planMap() maps at most vm.max_map_count's default of 65,530 VMAs in a task", () => {
    const spec = (vmas: number) => parseSynthSpec({ size: vmas * 2 * MiB, vmaSize: { dist: "fixed", size: "2MiB" } });
    expect(MAX_MAP_COUNT).toBe(65530);
    expect(planMap(spec(65530)).vmas).toBe(65530);
    expect(() => planMap(spec(65531))).toThrow("Cannot generate a synthetic map of 131062 MiB: task synth-0 would map " +
      "more than 65530 VMAs, vm.max_map_count's default");
  });
});

describe("validateScenario() refuses a generated map the run cannot fit", () => {
  const tooBig: ScenarioInput = { name: "g", durationS: 10, generate: { preset: "random", size: "8TiB", tasks: 8 } };

  test("validateScenario() refuses a map larger than a default engine's core memory, naming generate", () => {
    expect(scenarioFailure(() => validateScenario(structuredClone(tooBig), "g.json"), "generate"))
      .toBe('Cannot load scenario "g.json": generate cannot be built: it needs 17197003224 bytes of core memory, ' +
        // Free: the 4 GiB limit less the reserved 64 KiB and the ring (1024 records and isolate's).
        `and ${2 ** 32 - 65536 - 1025 * 32} bytes of the 4294967296-byte limit are free; lower generate.size or set generate.variety to 8`);
  });

  test("validateScenario() refuses an mm whose VMAs would not fit the user address space, naming generate", () => {
    const s = { name: "g", durationS: 10, generate: { size: "200TiB", tasks: 1, vmaSize: { dist: "fixed", size: "64GiB" } } };
    expect(scenarioFailure(() => validateScenario(s, "g.json"), "generate"))
      .toBe('Cannot load scenario "g.json": generate cannot be built: task synth-0\'s VMAs would span 209721598 MiB, ' +
        "past what x86-64's 128 TiB user address space holds; raise generate.tasks");
  });

  test("validateScenario() gives the reason a default engine's run gives, for the scenario's seed", async () => {
    const input = { ...structuredClone(tooBig), seed: 7 };
    const loaded = scenarioFailure(() => validateScenario(input, "g"), "generate");
    // Run it past the loader: a small map validated, then swapped for the large one.
    const s = { ...validateScenario({ ...input, generate: { size: "2MiB" } }, "g"), generate: input.generate };
    const { memory, core } = await createCore();
    const run = await runScenario(s, wasmEngine(memory, core)).then(() => "ran", (err: Error) => err.message);
    expect(run.replace("Cannot run", "Cannot load")).toBe(loaded);
    expect(loaded).toMatch(/it needs 17196999776 bytes/);
  });
});
