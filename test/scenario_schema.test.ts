/** The scenario file: one schema for JSON and YAML, and one-line errors naming the field. */
import { describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { loadPreset, parseScenarioText, PRESETS, validateScenario } from "../host/scenario/mod.ts";
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

  test("parseScenarioText() rejects malformed JSON", () => {
    expect(scenarioFailure(() => parseScenarioText('{"name": "x",', "bad.json"), ""))
      .toMatch(/^Cannot load scenario "bad\.json": malformed JSON: /);
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
      .toMatch(/steps\[0\]\.do must be one of touch, madvise, .*exit, got "jump"$/);
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
      .toBe('Cannot load scenario "v": variants[1] must be one of baseline, lazyfree-skip, lazyfree-keep, got "mine"');
    expect(scenarioFailure(() => validateScenario({ name: "x", tlb: "zen9", tasks: [{ name: "a" }] }, "v"), "tlb"))
      .toMatch(/tlb must be one of zen5, .*got "zen9"$/);
  });

  test("validateScenario() rejects a size with an unknown unit", () => {
    expect(scenarioFailure(() => validateScenario({ name: "x", tasks: [{ name: "a", vmas: [{ name: "m", size: "2 MB" }] }] }, "u"),
      "tasks[0].vmas[0].size")).toBe('Cannot load scenario "u": tasks[0].vmas[0].size must be a number of bytes or a size such as "128 MiB", got "2 MB"');
  });
});

describe("presets", () => {
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
