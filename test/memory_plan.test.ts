/**
 * The loader plans the memory a task's MAP_POPULATE takes: a scenario `run` cannot
 * finish for want of physical or core memory is refused by `validate`, naming the field,
 * what it needs and the limit.
 */
import { describe, expect, test } from "vitest";
import { PTE_TABLE_BYTES } from "../host/core/layout.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { DEFAULT_RUN_CORE } from "../host/synth/generate.ts";
import { runMain } from "./cli_in_process.ts";
import { scenarioFailure } from "./scenario_fixture.ts";

const GiB = 1024 ** 3;
const TiB = 1024 * GiB;
const FREE_CORE = DEFAULT_RUN_CORE.maxBytes - DEFAULT_RUN_CORE.usedBytes;

/** One task mapping `vmas`, under `tunables` and `memory`. */
function scenario(vmas: object[], tunables: object = {}, memory?: object, extra: object = {}) {
  return { name: "big", tunables, ...(memory ? { memory } : {}), tasks: [{ name: "t", vmas }], ...extra };
}

describe("populateProblem() through validateScenario()", () => {
  test("a 4 TiB populated VMA without THPs needs a PTE table per 2 MiB: more core memory than a run has", () => {
    const s = scenario([{ name: "m", size: "4 TiB", populate: true }], { enabled: "never" }, { totalBytes: "8 TiB" });
    const pmds = (4 * TiB) / (2 * 1024 * 1024);
    const need = pmds * (4 + PTE_TABLE_BYTES);
    const message = scenarioFailure(() => validateScenario(s, "big.yaml"), "tasks[0].vmas[0].populate");
    expect(message).toContain(`need at least ${need} bytes (8 GiB) of core memory`);
    expect(message).toContain(`${FREE_CORE} bytes (4 GiB) of the ${DEFAULT_RUN_CORE.maxBytes}-byte limit are free`);
  });

  test("the same VMA under the default 16 GiB of memory is refused for physical memory, naming memory.totalBytes", () => {
    const s = scenario([{ name: "m", size: "4 TiB", populate: true }], { enabled: "never" });
    const message = scenarioFailure(() => validateScenario(s, "big.yaml"), "tasks[0].vmas[0].populate");
    expect(message).toContain(`need ${4 * TiB} bytes (4096 GiB) of memory, and memory.totalBytes holds ${16 * GiB - 4096} bytes`);
    expect(message).toContain("raise memory.totalBytes");
  });

  test("THPs at fault time need no PTE tables: 4 TiB populated with enabled always is accepted", () => {
    const s = validateScenario(scenario([{ name: "m", size: "4 TiB", populate: true }], {}, { totalBytes: "8 TiB" }), "x");
    expect(s.tasks[0].vmas[0].populate).toBe(true);
  });

  test("enabled madvise faults THPs only into a VMA with the hugepage flag", () => {
    const vma = { name: "m", size: "4 TiB", populate: true };
    const memory = { totalBytes: "8 TiB" };
    expect(() => validateScenario(scenario([{ ...vma, flags: ["hugepage"] }], { enabled: "madvise" }, memory), "x")).not.toThrow();
    scenarioFailure(() => validateScenario(scenario([vma], { enabled: "madvise" }, memory), "x"), "tasks[0].vmas[0].populate");
    scenarioFailure(() => validateScenario(scenario([{ ...vma, flags: ["nohugepage"] }], {}, memory), "x"), "tasks[0].vmas[0].populate");
  });

  test("a task's populated VMAs add up; the one that crosses the limit is named", () => {
    const vmas = [0, 1, 2].map((i) => ({ name: `m${i}`, size: "6 GiB", populate: true }));
    scenarioFailure(() => validateScenario(scenario(vmas), "x"), "tasks[0].vmas[2].populate");
    expect(() => validateScenario(scenario(vmas.slice(0, 2)), "x")).not.toThrow();
  });

  test("a generate: map's core memory leaves less for the tasks' page tables", () => {
    // 1900 GiB without THPs: 3.7 GiB of PTE tables fit alone; a 256 GiB map of
    // its own PTE tables (512 MiB) beside them leaves too little.
    const alone = scenario([{ name: "m", size: "1900 GiB", populate: true }], { enabled: "never" }, { totalBytes: "2 TiB" });
    expect(() => validateScenario(alone, "x")).not.toThrow();
    const withMap = { ...alone, generate: { size: "256 GiB", dedup: false } };
    scenarioFailure(() => validateScenario(withMap, "x"), "tasks[0].vmas[0].populate");
  });
});

test("khugesim validate refuses the issue's 4 TiB scenario with one line and exit status 2", async () => {
  const { mkdtemp, writeFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(await mkdtemp(join(tmpdir(), "khugesim-plan-")), "big.yaml");
  await writeFile(file, "name: big\ntunables: { enabled: never }\nmemory: { totalBytes: 8 TiB }\n" +
    "tasks:\n  - name: t\n    vmas: [{ name: m, size: 4 TiB, populate: true }]\n");
  const r = await runMain("validate", file);
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/^Cannot load scenario ".*big\.yaml": tasks\[0\]\.vmas\[0\]\.populate cannot be met: .* core memory/);
});
