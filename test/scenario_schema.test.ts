/** The scenario file: one schema for JSON and YAML, and one-line errors naming the field. */
import { describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { loadPreset, parseScenarioText, PRESETS, presetYaml, validateScenario } from "../host/scenario/mod.ts";
import { scenarioFailure } from "./scenario_fixture.ts";


const yaml = (body: string) => `name: t\ntasks:\n  - name: a\n    vmas: [{ name: buf, size: 2 MiB }]\n${body}`;

describe("parseScenarioText()", () => {
  test("parseScenarioText() reads YAML and JSON through one schema to the same scenario", () => {
    const input = {
      name: "same", tunables: { enabled: "madvise" },
      tasks: [{ name: "a", vmas: [{ name: "buf", size: "128 MiB", populate: true }], steps: [{ do: "sleep", seconds: 1 }] }],
    };
    const fromYaml = parseScenarioText(stringify(input), "s.yaml");
    const fromJson = parseScenarioText(JSON.stringify(input), "s.json");
    expect(fromYaml).toEqual(fromJson);
    expect(fromYaml.tasks[0].vmas[0].size).toBe(128 * 1024 * 1024);
    expect(fromYaml.variants).toEqual(["baseline", "lazyfree-skip"]);
  });

  test("parseScenarioText() rejects malformed YAML with its line and column", () => {
    expect(scenarioFailure(() => parseScenarioText("name: x\ntasks: [1, 2\n", "bad.yaml"), ""))
      .toMatch(/^Cannot load scenario "bad\.yaml": malformed YAML at line \d+, column \d+: .+/);
  });

  test("parseScenarioText() rejects malformed JSON, with the line and column, in one line", () => {
    expect(scenarioFailure(() => parseScenarioText('{"name": "x",', "bad.json"), ""))
      .toMatch(/^Cannot load scenario "bad\.json": malformed JSON at line 1, column 14: /);
    // V8 quotes the text, without a position, in some messages: the quote is dropped.
    const message = scenarioFailure(() => parseScenarioText('{\n  "name": x\n}', "bad.json"), "");
    expect(message).toBe(`Cannot load scenario "bad.json": malformed JSON: Unexpected token 'x'`);
    expect(message).not.toContain("\n");
  });
});

describe("validateScenario()", () => {
  test("validateScenario() rejects a VMA size that is not a multiple of 4096, naming the field", () => {
    const s = { name: "x", tasks: [{ name: "a" }, { name: "b", vmas: [{ name: "m", size: 5000 }] }] };
    expect(scenarioFailure(() => validateScenario(s, "x.json"), "tasks[1].vmas[0].size"))
      .toBe('Cannot load scenario "x.json": tasks[1].vmas[0].size must be a multiple of 4096, got 5000');
  });

  test("validateScenario() rejects a negative VMA size", () => {
    expect(scenarioFailure(() => parseScenarioText("name: x\ntasks:\n  - name: a\n    vmas: [{ name: m, size: -4096 }]\n", "neg.yaml"),
      "tasks[0].vmas[0].size")).toBe('Cannot load scenario "neg.yaml": tasks[0].vmas[0].size must be positive, got -4096');
  });

  test("validateScenario() rejects an unknown madvise advice, listing the known ones", () => {
    const msg = scenarioFailure(() => parseScenarioText(yaml("    steps: [{ do: madvise, vma: buf, advice: MADV_SOMETIMES }]\n"), "a.yaml"),
      "tasks[0].steps[0].advice");
    expect(msg).toMatch(/^Cannot load scenario "a\.yaml": tasks\[0\]\.steps\[0\]\.advice must be one of MADV_HUGEPAGE, .*MADV_FREE.*, got "MADV_SOMETIMES"$/);
  });

  test("validateScenario() refuses an out-of-range tunable with the kernel's reason", () => {
    const text = `name: x\ntunables: { khugepaged/max_ptes_none: 512 }\ntasks: [{ name: a }]\n`;
    expect(scenarioFailure(() => parseScenarioText(text, "t.yaml"), 'tunables["khugepaged/max_ptes_none"]')).toBe(
      'Cannot load scenario "t.yaml": tunables["khugepaged/max_ptes_none"] was refused by the kernel ' +
        "(EINVAL, expected an integer from 0 to 511, got 512)",
    );
  });

  test("validateScenario() refuses a tunable path sysfs does not have", () => {
    expect(scenarioFailure(() => validateScenario({ name: "x", tunables: { "khugepaged/max_ptes_nothing": 1 }, tasks: [{ name: "a" }] }, "t"),
      'tunables["khugepaged/max_ptes_nothing"]')).toMatch(/is not a tunable under \/sys\/kernel\/mm\/transparent_hugepage\//);
  });

  test("validateScenario() accepts tunables by their full sysfs path", () => {
    const s = validateScenario({
      name: "x", tunables: { "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan": 512 }, tasks: [{ name: "a" }],
    }, "t");
    expect(s.tunables).toEqual({ "khugepaged/pages_to_scan": 512 });
  });

  test("validateScenario() names an unknown field", () => {
    expect(scenarioFailure(() => validateScenario({ name: "x", tasks: [{ name: "a", vmaz: [] }] }, "f.json"), "tasks[0].vmaz"))
      .toBe('Cannot load scenario "f.json": tasks[0].vmaz is not a known field');
  });

  test("validateScenario() names an unknown step kind", () => {
    expect(scenarioFailure(() => parseScenarioText(yaml("    steps: [{ do: jump }]\n"), "s.yaml"), "tasks[0].steps[0].do"))
      .toMatch(/steps\[0\]\.do must be one of touch, madvise, .*exit, sysfs, got "jump"$/);
  });

  test("validateScenario() rejects a step that names a VMA the task does not have", () => {
    expect(scenarioFailure(() => parseScenarioText(yaml("    steps: [{ do: touch, vma: bfu }]\n"), "s.yaml"), "tasks[0].steps[0].vma"))
      .toBe('Cannot load scenario "s.yaml": tasks[0].steps[0].vma must name one of the task\'s VMAs (buf), got "bfu"');
  });

  test("validateScenario() rejects a range that ends outside its VMA", () => {
    expect(scenarioFailure(() => parseScenarioText(yaml("    steps: [{ do: touch, vma: buf, offset: 1 MiB, length: 2 MiB }]\n"), "s.yaml"),
      "tasks[0].steps[0].length")).toMatch(/must end inside the VMA/);
  });

  test("validateScenario() requires exactly one of count, durationS and untilEnd in an access phase", () => {
    const body = "    steps: [{ do: access, vma: buf, pattern: { kind: uniform }, count: 10, durationS: 1 }]\n";
    expect(scenarioFailure(() => parseScenarioText(yaml(body), "s.yaml"), "tasks[0].steps[0]"))
      .toMatch(/must have exactly one of count, durationS and untilEnd, got 2$/);
  });

  test("validateScenario() rejects untilEnd in a scenario without durationS", () => {
    const body = "    steps: [{ do: access, vma: buf, pattern: { kind: uniform }, untilEnd: true }]\n";
    expect(scenarioFailure(() => parseScenarioText(yaml(body), "s.yaml"), "tasks[0].steps[0].untilEnd")).toMatch(/needs the scenario's durationS/);
  });

  test("validateScenario() rejects an exit that is not the last step", () => {
    expect(scenarioFailure(() => parseScenarioText(yaml("    steps: [{ do: exit }, { do: sleep, seconds: 1 }]\n"), "s.yaml"),
      "tasks[0].steps[0]")).toMatch(/must be the last step, but 1 follow/);
  });

  test("validateScenario() rejects a forked child named like another task", () => {
    const s = { name: "x", tasks: [{ name: "a", steps: [{ do: "fork", child: "b" }] }, { name: "b" }] };
    expect(scenarioFailure(() => validateScenario(s, "f"), "tasks[1].name")).toMatch(/must be unique, "b" is already used by tasks\[0\]\.steps\[0\]/);
  });

  test("validateScenario() rejects an unknown kernel variant and TLB preset", () => {
    expect(scenarioFailure(() => validateScenario({ name: "x", variants: ["baseline", "mine"], tasks: [{ name: "a" }] }, "v"), "variants[1]"))
      .toBe('Cannot load scenario "v": variants[1] must be one of baseline, lazyfree-skip, lazyfree-keep, or a version (6.18, 7.1, 7.2) with +policies (lazyfree-skip, lazyfree-keep, mthp-scaled), got "mine"');
    expect(scenarioFailure(() => validateScenario({ name: "x", tlb: "zen9", tasks: [{ name: "a" }] }, "v"), "tlb"))
      .toMatch(/tlb must be one of zen5, .*got "zen9"$/);
  });

  test("validateScenario() rejects a size with an unknown unit", () => {
    expect(scenarioFailure(() => validateScenario({ name: "x", tasks: [{ name: "a", vmas: [{ name: "m", size: "2 MB" }] }] }, "u"),
      "tasks[0].vmas[0].size")).toBe('Cannot load scenario "u": tasks[0].vmas[0].size must be a number of bytes or a size such as "128 MiB", got "2 MB"');
  });
});

/** A one-task scenario over a 2 MiB VMA, with `extra` top-level fields. */
const oneTask = (steps: unknown[], extra: Record<string, unknown> = {}) =>
  ({ name: "t", tasks: [{ name: "a", vmas: [{ name: "buf", size: "2 MiB" }], steps }], ...extra });

/** The message of validating `s` as "x", checking it names `path`. */
const failure = (s: unknown, path: string) => scenarioFailure(() => validateScenario(s, "x"), path);

const uniform = { do: "access", vma: "buf", pattern: { kind: "uniform" } };

describe("limits on simulated time and memory", () => {
  test.each([
    ["durationS", oneTask([], { durationS: 1e9 })],
    ["intervalS", oneTask([], { intervalS: 1e9 })],
    ["tasks[0].startS", { name: "t", tasks: [{ name: "a", startS: 1e9 }] }],
    ["tasks[0].steps[0].seconds", oneTask([{ do: "sleep", seconds: 1e9 }])],
    ["tasks[0].steps[0].durationS", oneTask([{ ...uniform, durationS: 1e9 }])],
    ["memoryPressure[0].atS", oneTask([], { memoryPressure: [{ atS: 1e9, targetFreeBytes: 0 }] })],
  ])("validateScenario() refuses %s past 100 days of simulated time", (path, s) => {
    expect(failure(s, path))
      .toBe(`Cannot load scenario "x": ${path} must be at most 8640000 s (100 days of simulated time), got 1000000000`);
  });

  test("validateScenario() refuses an intervalS under 1 µs", () => {
    expect(failure(oneTask([], { intervalS: 1e-10 }), "intervalS"))
      .toBe('Cannot load scenario "x": intervalS must be at least 0.000001 s (1 µs of simulated time), got 1e-10');
  });

  test("validateScenario() holds the time series to 100,000 samples of durationS / intervalS", () => {
    expect(failure(oneTask([], { durationS: 1e6 }), "intervalS")).toBe('Cannot load scenario "x": ' +
      "intervalS must keep the time series to at most 100,000 samples, got durationS / intervalS = 1000000");
    expect(failure(oneTask([], { durationS: 100, intervalS: 1e-6 }), "intervalS"))
      .toMatch(/got durationS \/ intervalS = 100000000$/);
    expect(validateScenario(oneTask([], { durationS: 1e6, intervalS: 10 }), "x").intervalS).toBe(10);
  });

  test("validateScenario() counts a run without durationS to its tasks' end, forked children's too", () => {
    const s = oneTask([{ do: "fork", child: "c", steps: [{ do: "sleep", seconds: 200_000 }] }]);
    expect(failure(s, "intervalS"))
      .toMatch(/must keep the time series to at most 100,000 samples, got the tasks' 200000 s \/ intervalS = 200000$/);
    expect(validateScenario({ ...s, intervalS: 2 }, "x").intervalS).toBe(2);
  });

  test("validateScenario() shows a derived end time without floating-point noise", () => {
    // 1e14 accesses of 1e9 / 1e8 ns each come to 1000000.0000000001 s in doubles.
    const steps = [{ ...uniform, count: 1e14, rate: 1e8 }];
    expect(failure(oneTask(steps), "intervalS"))
      .toMatch(/got the tasks' 1000000 s \/ intervalS = 1000000$/);
  });

  test("validateScenario() refuses steps that outlast 100 days unless durationS ends the run", () => {
    const steps = [{ do: "repeat", times: 100, steps: [{ do: "sleep", seconds: 1e6 }] }];
    expect(failure(oneTask(steps), "tasks[0].steps")).toBe('Cannot load scenario "x": tasks[0].steps must end within ' +
      "8640000 s (100 days of simulated time) unless durationS ends the run, got at least 100000000 s");
    expect(validateScenario(oneTask(steps, { durationS: 100 }), "x").durationS).toBe(100);
  });

  test("validateScenario() caps the steps a task runs at 1,000,000, repeats unrolled", () => {
    const repeat = (times: number, steps: unknown[]) => ({ do: "repeat", times, steps });
    expect(failure(oneTask([repeat(1e9, [{ do: "sleep", seconds: 0 }])]), "tasks[0].steps"))
      .toBe('Cannot load scenario "x": tasks[0].steps must run at most 1,000,000 steps, repeats unrolled, ' +
        "got 1000000000");
    // Each round of an empty repeat counts as a step: the runner still loops over it.
    expect(failure(oneTask([repeat(1e12, [])]), "tasks[0].steps")).toMatch(/got 1000000000000$/);
    const pair = [{ do: "touch", vma: "buf" }, { do: "sleep", seconds: 0 }];
    expect(failure(oneTask([repeat(1000, [repeat(1000, pair)])]), "tasks[0].steps")).toMatch(/got 2000000$/);
    expect(validateScenario(oneTask([repeat(1000, [repeat(500, pair)])]), "x").tasks[0].steps).toHaveLength(1);
  });

  test("validateScenario() caps memory.totalBytes at 8 TiB, the most the physical-memory model holds", () => {
    expect(failure(oneTask([], { memory: { totalBytes: 1099511627776000 } }), "memory.totalBytes"))
      .toBe('Cannot load scenario "x": memory.totalBytes must be at most 8 TiB (8796093022208), ' +
        "the most the physical-memory model holds, got 1099511627776000");
    const most = validateScenario(oneTask([], { memory: { totalBytes: "8 TiB" } }), "x");
    expect(most.memory.totalBytes).toBe(8 * 1024 ** 4);
  });

  test("validateScenario() keeps a task's VMAs within x86-64's 128 TiB user address space", () => {
    const vmas = (...sizes: string[]) =>
      ({ name: "t", tasks: [{ name: "a", vmas: sizes.map((size, i) => ({ name: `v${i}`, size })) }] });
    expect(failure(vmas("100 TiB", "29 TiB"), "tasks[0].vmas[1].size")).toBe('Cannot load scenario "x": ' +
      "tasks[0].vmas[1].size takes the task's VMAs to 129 TiB, past what x86-64's 128 TiB user address space holds " +
      "below the stack, got 29 TiB");
    // mmap places them top-down from mmap_base, 128 MiB below the top: 128 TiB in all does not fit.
    expect(failure(vmas("100 TiB", "28 TiB"), "tasks[0].vmas[1].size")).toMatch(/takes the task's VMAs to 128 TiB, past/);
    expect(validateScenario(vmas("100 TiB", "27 TiB"), "x").tasks[0].vmas).toHaveLength(2);
  });

  test("validateScenario() refuses an access phase one access of which does not fit in a sampling interval", () => {
    expect(failure(oneTask([{ ...uniform, rate: 1e-9, count: 10 }]), "tasks[0].steps[0].rate"))
      .toBe('Cannot load scenario "x": tasks[0].steps[0].rate must be at least 1 / intervalS (1) ' +
        "so that an access fits in one sampling interval, got 1e-9");
    const repeated = { do: "repeat", times: 2, steps: [{ ...uniform, rate: 1, count: 1 }] };
    const nested = [{ do: "fork", child: "c", steps: [repeated] }];
    expect(failure(oneTask(nested, { intervalS: 0.5 }), "tasks[0].steps[0].steps[0].steps[0].rate"))
      .toMatch(/must be at least 1 \/ intervalS \(2\) .*, got 1$/);
    expect(validateScenario(oneTask(nested), "x").intervalS).toBe(1);
    const slow = oneTask([{ ...uniform, count: 3, overheadNsPerAccess: 2e9 }]);
    expect(failure(slow, "tasks[0].steps[0].overheadNsPerAccess"))
      .toMatch(/must leave room in a sampling interval \(intervalS: 1000000000 ns\) .* 0\.31 ns .*, got 2000000000$/);
  });
});

describe("presets", () => {
  test("PRESETS are frozen through and through: no caller can change what loadPreset() returns to the next", () => {
    const hot = PRESETS.find((p) => p.name === "hot1-cold-hot2")!;
    const vmas = (hot.scenario.tasks as Array<{ vmas: Array<{ size: unknown }> }>)[0].vmas;
    expect(() => { vmas[0].size = "4 MiB"; }).toThrow(TypeError);
    expect(loadPreset("hot1-cold-hot2").tasks[0].vmas[0].size).toBe(128 * 1024 * 1024);
    expect(parseScenarioText(presetYaml(hot), "hot.yaml")).toEqual(loadPreset("hot1-cold-hot2"));
    expect(presetYaml(hot)).not.toMatch(/[&*]a\d/);
  });

  test("loadPreset() rejects an unknown name, listing the presets", () => {
    expect(scenarioFailure(() => loadPreset("hot3"), "")).toMatch(/^Cannot load scenario "hot3": is not a preset \(presets: hot1-cold-hot2, hot1-hot2, /);
  });

  test.each(PRESETS.map((p) => [p.name]))("preset %s passes the schema", (name) => {
    expect(loadPreset(name).name).toBe(name);
  });

  test("hot1-cold-hot2 follows the seed experiment: three tasks 1 s apart, 128 MiB, THP enabled=madvise", () => {
    const s = loadPreset("hot1-cold-hot2");
    expect(s.tasks.map((t) => [t.name, t.startS])).toEqual([["hot1", 0], ["cold", 1], ["hot2", 2]]);
    expect(s.tunables).toEqual({ enabled: "madvise" });
    for (const t of s.tasks) expect(t.vmas).toEqual([{ name: "buffer", size: 128 * 1024 * 1024, flags: [], populate: true }]);
    const phaseB = s.tasks[2].steps.at(-1);
    expect(phaseB).toMatchObject({ do: "access", pattern: { kind: "uniform" }, count: 327_680_000, measure: true });
  });
});
