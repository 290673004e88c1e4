/**
 * Fuzzing the command line: scenarios drawn from the scenario schema (valid, and with
 * fields mutated) and argument lists drawn from the commands' flags. Whatever the input,
 * khugesim exits 0 or 2, never prints a stack trace, refuses in one line, and leaves no
 * output file behind when it refuses. `npm test` runs a small sample; `npm run fuzz`
 * runs KHUGESIM_FUZZ_RUNS (10,000) of each.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { z } from "zod";
import { beforeAll, describe, expect, test } from "vitest";
import { runWork } from "../host/run/run_work.ts";
import { ScenarioSchema } from "../host/scenario/scenario_schema.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { type Outcome, runMain } from "./cli_in_process.ts";
import { fromSchema } from "./schema_arbitrary.ts";

const RUNS = Number(process.env.KHUGESIM_FUZZ_RUNS ?? 40);
/**
 * The sample `npm test` runs is the same every time (seed 1), so that a failure there is a
 * finding and not a draw; `npm run fuzz` draws a new seed (fast-check prints it on a failure)
 * unless KHUGESIM_FUZZ_SEED names one.
 */
const SEED = process.env.KHUGESIM_FUZZ_SEED !== undefined ? Number(process.env.KHUGESIM_FUZZ_SEED)
  : process.env.KHUGESIM_FUZZ_RUNS === undefined ? 1 : undefined;
/** The largest run the fuzz test lets `run` simulate, in runWork units: a fraction of a second. */
const CHEAP_WORK = 2e6;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-fuzz-"));
  await mkdir(join(dir, "a-dir"));
  await writeFile(join(dir, "ok.yaml"), "name: ok\ndurationS: 2\nvariants: [baseline]\ntasks:\n  - name: t\n    vmas: [{ name: m, size: 2 MiB, populate: true }]\n");
});

/** khugesim's promises whatever the input: exit 0 or 2, no stack, a refusal in one line. */
function expectWellBehaved(r: Outcome, what: string): void {
  expect([0, 2], `${what}: exit ${r.code}, ${r.stderr}`).toContain(r.code);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  if (r.code === 2) expect(r.stderr.trimEnd().split("\n"), what).toHaveLength(1);
}

/** No temporary and, after a refusal, no output file left in the output folder. */
async function expectNothingLeft(out: string, refused: boolean, what: string): Promise<void> {
  const left = await readdir(out);
  expect(left.filter((f) => f.endsWith(".tmp") || f.startsWith(".")), what).toEqual([]);
  if (refused) expect(left, what).toEqual([]);
}

const jsonSchema = z.toJSONSchema(ScenarioSchema, { unrepresentable: "any", io: "input" }) as Record<string, unknown>;
const defs = (jsonSchema.$defs ?? {}) as Record<string, Record<string, unknown>>;
/**
 * Scenarios of the schema's shape, and a third as many mutated ones: about one in five of
 * the former passes the loader's checks across fields, and those are the ones that run.
 */
const scenarios = fc.oneof(
  { arbitrary: fromSchema(jsonSchema, defs, { mutated: false }), weight: 3 },
  { arbitrary: fromSchema(jsonSchema, defs, { mutated: true }), weight: 1 },
);

/** Whether `input` loads and runs in well under a second: the fuzz test runs only those. */
function cheap(input: unknown): boolean {
  try {
    const s = validateScenario(structuredClone(input), "fuzz");
    const bytes = s.tasks.reduce((n, t) => n + t.vmas.reduce((m, v) => m + v.size, 0), 0);
    return s.generate === undefined && bytes <= 256 * 1024 * 1024 && runWork(s, false).total <= CHEAP_WORK &&
      (s.durationS ?? 0) <= 60 && s.intervalS >= 0.05;
  } catch {
    return false;
  }
}

describe("fuzz", () => {
  test(`${RUNS} scenarios from the schema: validate, and run the cheap ones with output files`, async () => {
    let n = 0, valid = 0, ran = 0;
    await fc.assert(fc.asyncProperty(scenarios, fc.boolean(), async (input, asYaml) => {
      const case_ = join(dir, `s${n++}`);
      await mkdir(case_);
      const out = join(case_, "out");
      await mkdir(out);
      const file = join(case_, asYaml ? "s.yaml" : "s.json");
      await writeFile(file, asYaml ? stringify(input) : JSON.stringify(input));
      const what = JSON.stringify(input);
      const v = await runMain("validate", file);
      expectWellBehaved(v, what);
      if (v.code === 0) valid++;
      if (v.code === 0 && cheap(JSON.parse(JSON.stringify(input)))) {
        ran++;
        const r = await runMain("run", file, "--variants", "baseline", "--csv", join(out, "s.csv"), "--trace", join(out, "t.txt"));
        expectWellBehaved(r, what);
        await expectNothingLeft(out, r.code !== 0, what);
      }
      await rm(case_, { recursive: true, force: true });
    }), { numRuns: RUNS, seed: SEED });
    // The share of cases that get past the loader: a generator that made only refusals would test little.
    console.info(`fuzz: ${n} scenarios, ${valid} valid, ${ran} run`);
    expect(valid).toBeGreaterThan(0);
  }, 600_000);

  test(`${RUNS} argument lists from the commands' flags`, async () => {
    const token = fc.constantFrom(
      "--seed", "--tlb", "--variants", "--json", "--exact", "--engine", "--csv", "--svg", "--trace", "--size", "--tasks",
      "--fractions", "--population", "--vma-size", "--scan", "--sweep", "--workers", "--enabled", "--spec", "--preset", "--pfns",
      "--no-dedup", "--show", "--colour", "", " ", "0", "-1", "1e3", "0x10", "abc", "2MiB", "3MiB", "1GiB", "huge=2", "huge=0.5",
      "max_ptes_none=0,64", "pages_to_scan=0", "baseline,baseline", "lazyfree-skip", "golden-cove", "ts", "never", "madvise",
      "uniform:8MiB-4MiB", "fixed:2MiB", "realistic", "scan-succeeded", "hot3", "pmd",
    );
    const path = fc.constantFrom("OUT/x.csv", "OUT/x.svg", "OUT/t.txt", "OUT/", "DIR", "/proc/x.csv", "OUT/missing/x", "OK");
    const command = fc.constantFrom("run", "compare", "validate", "presets", "generate");
    let n = 0;
    // A flag's value may be any token (`--svg --fractions` writes a file named --fractions):
    // relative paths land in the test's folder, not in the repository.
    const home = process.cwd();
    process.chdir(dir);
    try {
      await fc.assert(fc.asyncProperty(command, fc.array(fc.oneof(token, path), { maxLength: 7 }), async (cmd, words) => {
        const out = join(dir, `a${n++}`);
        await mkdir(out);
        const args = [cmd, ...words.map((w) => w.replace("OUT", out).replace(/^DIR$/, join(dir, "a-dir")).replace(/^OK$/, join(dir, "ok.yaml")))];
        // --workers N > 0 would start worker threads for every case: the test keeps to this thread.
        if (args.some((a, i) => a === "--workers" && args[i + 1] !== undefined && /^\s*[1-9]/.test(args[i + 1]))) return;
        const what = JSON.stringify(args);
        const r = await runMain(...args);
        expectWellBehaved(r, what);
        await expectNothingLeft(out, r.code !== 0, what);
        await rm(out, { recursive: true, force: true });
      }), { numRuns: RUNS, seed: SEED });
    } finally {
      process.chdir(home);
    }
  }, 600_000);
});

test("the fuzz test's own checks catch a stack trace, a second line and a file left behind", async () => {
  expect(() => expectWellBehaved({ code: 1, stdout: "", stderr: "boom\n" }, "x")).toThrow();
  expect(() => expectWellBehaved({ code: 2, stdout: "", stderr: "one\ntwo\n" }, "x")).toThrow();
  expect(() => expectWellBehaved({ code: 0, stdout: "", stderr: "Error\n    at main (cli.ts:1:1)\n" }, "x")).toThrow();
  const out = await mkdtemp(join(dir, "left-"));
  await writeFile(join(out, "x.csv"), "");
  await expect(expectNothingLeft(out, true, "x")).rejects.toThrow();
  expect(existsSync(join(out, "x.csv"))).toBe(true);
});
