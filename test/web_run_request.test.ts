/**
 * The page's form check (web/src/run_request.ts): each error is the CLI's one-line
 * ScenarioError, routed to the form field it names.
 */
import { stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { findPreset, loadPreset, validateScenario } from "../host/mod.ts";
import { checkRunRequest, type RunRequest } from "../web/src/run_request.ts";

const seedYaml = stringify(findPreset("hot1-cold-hot2")!.scenario, { lineWidth: 120 });
const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  text: seedYaml, source: "hot1-cold-hot2.yaml", variants: ["baseline", "lazyfree-skip"], tunables: {}, ...over,
});

describe("checkRunRequest()", () => {
  test("checkRunRequest() with the text's own variants and no tunables gives what a second check would", () => {
    const own = checkRunRequest(request());
    const twice = own.ok && validateScenario({ ...own.scenario }, "hot1-cold-hot2.yaml");
    expect(JSON.stringify(twice)).toBe(JSON.stringify(own.ok && own.scenario));
    // Another order of the same variants is a different run: the reference comes first.
    const swapped = checkRunRequest(request({ variants: ["lazyfree-skip", "baseline"] }));
    expect(swapped.ok && swapped.scenario.variants).toEqual(["lazyfree-skip", "baseline"]);
  });

  test("checkRunRequest() turns the preset's YAML back into the preset's scenario", () => {
    const r = checkRunRequest(request());
    expect(r.ok && JSON.stringify(r.scenario)).toBe(JSON.stringify(loadPreset("hot1-cold-hot2")));
  });

  test("checkRunRequest() writes the chosen variants and tunables over the scenario's", () => {
    const r = checkRunRequest(request({ variants: ["lazyfree-keep"], tunables: { "khugepaged/max_ptes_none": 0 } }));
    expect(r.ok && r.scenario.variants).toEqual(["lazyfree-keep"]);
    expect(r.ok && r.scenario.tunables).toEqual({ enabled: "madvise", "khugepaged/max_ptes_none": 0 });
  });

  test("checkRunRequest() reports a bad scenario field against the scenario text, worded as the CLI words it", () => {
    const r = checkRunRequest(request({ text: "name: x\ntasks:\n  - name: a\n    vmas: [{ name: b, size: 5000 }]\n", source: "x.yaml" }));
    expect(r).toEqual({
      ok: false, field: "scenario",
      message: 'Cannot load scenario "x.yaml": tasks[0].vmas[0].size must be a multiple of 4096, got 5000',
    });
  });

  test("checkRunRequest() reports malformed YAML with its line against the scenario text", () => {
    const r = checkRunRequest(request({ text: "name: [x\n", source: "x.yaml" }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.field).toBe("scenario");
    expect(!r.ok && r.message).toMatch(/^Cannot load scenario "x\.yaml": malformed YAML at line \d+, column \d+: /);
  });

  test("checkRunRequest() reports a refused tunable against that tunable's field", () => {
    const r = checkRunRequest(request({ tunables: { "khugepaged/pages_to_scan": 0, enabled: "sometimes" } }));
    expect(r).toEqual({
      ok: false, field: { tunable: "enabled" },
      message: 'Cannot load scenario "hot1-cold-hot2.yaml": tunables.enabled was refused by the kernel ' +
        '(EINVAL, expected one of always, madvise, never, got "sometimes")',
    });
  });

  test("checkRunRequest() asks for at least one variant", () => {
    expect(checkRunRequest(request({ variants: [] }))).toEqual({
      ok: false, field: "variants", message: 'Cannot run scenario "hot1-cold-hot2.yaml": choose at least one variant',
    });
  });
});
