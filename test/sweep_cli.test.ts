/** `khugesim sweep` end to end in this process: workers, shards, merging, resuming, failures and bad input. */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { runMain } from "./cli_in_process.ts";

/** A task that memsets 8 MiB every second for 12 s, then times 200,000 uniform loads: short runs khugepaged changes. */
const SMALL = `name: small
tunables: { enabled: madvise }
tasks:
  - name: t
    vmas: [{ name: buf, size: 8 MiB, populate: true }]
    steps:
      - { do: madvise, vma: buf, advice: MADV_HUGEPAGE }
      - do: repeat
        times: 12
        steps:
          - { do: access, vma: buf, pattern: { kind: sequential, stride: 64 }, writeFraction: 1, count: 131072 }
          - { do: sleep, seconds: 1 }
      - { do: access, vma: buf, pattern: { kind: uniform }, count: 200000, measure: true }
`;
/** Faults 8 MiB into 4 MiB of memory: the run fails when it starts. */
const OOM = `name: oom
memory: { totalBytes: 4 MiB }
tasks:
  - name: t
    vmas: [{ name: buf, size: 8 MiB }]
    steps:
      - { do: access, vma: buf, pattern: { kind: sequential, stride: 4096 }, writeFraction: 1, count: 2048 }
`;
const GRID = `scenario: [small.yaml, oom.yaml]
variants: [baseline, lazyfree-skip]
tunables:
  khugepaged/pages_to_scan: [4096, 512]
  khugepaged/scan_sleep_millisecs: [2000]
seeds: [1, 2]
`;
const RUNS = 2 * 2 * 2 * 2;

let dir: string, grid: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-sweep-"));
  grid = join(dir, "grid.yaml");
  await writeFile(join(dir, "small.yaml"), SMALL);
  await writeFile(join(dir, "oom.yaml"), OOM);
  await writeFile(grid, GRID);
});

/** `khugesim sweep …args`, expected to succeed; its standard output. */
async function sweep(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await runMain("sweep", ...args);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.code).toBe(0);
  return r;
}

const keys = (jsonl: string) => jsonl.trimEnd().split("\n").map((l) => (JSON.parse(l) as { key: string }).key);

describe("khugesim sweep", () => {
  let unsharded: string;
  beforeAll(async () => {
    unsharded = (await sweep(grid, "--workers", "0")).stdout;
  }, 120_000);

  test("runs every point of the grid once, in canonical order; a failed run is a line with its error and the rest still run", () => {
    const records = unsharded.trimEnd().split("\n").map((l) => JSON.parse(l) as { scenario: string; error?: string; result?: unknown });
    expect(records).toHaveLength(RUNS);
    expect(new Set(keys(unsharded)).size).toBe(RUNS);
    expect(keys(unsharded)[0]).toBe("oom.yaml baseline khugepaged/pages_to_scan=512 khugepaged/scan_sleep_millisecs=2000 seed=1");
    for (const r of records) {
      if (r.scenario === "oom.yaml") expect(r.error).toMatch(/^Cannot run scenario "oom": .*Out of memory/);
      else expect(r.result).toMatchObject({ tasks: { t: { accesses: expect.any(Number) } } });
    }
  });

  test("gives the same bytes on one worker thread and on two as on this thread", async () => {
    expect((await sweep(grid, "--workers", "1")).stdout).toBe(unsharded);
    const two = await sweep(grid, "--workers", "2");
    expect(two.stdout).toBe(unsharded);
    expect(two.stderr).toMatch(/sweep 16 runs: 16 done now \(8 failed\), 0 already in the output; .* on 2 worker threads/);
  }, 120_000);

  test("--shard I/3 runs disjoint slices that --merge puts back into the unsharded output, byte for byte", async () => {
    const parts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = join(dir, `shard.${i}.jsonl`);
      await sweep(grid, "--shard", `${i}/3`, "--workers", "0", "--out", out);
      parts.push(out);
    }
    const texts = await Promise.all(parts.map((p) => readFile(p, "utf8")));
    expect(texts.map((t) => keys(t).length).reduce((a, b) => a + b, 0)).toBe(RUNS);
    expect(texts.every((t) => t.length > 0)).toBe(true);
    // Merged in reverse: the order of the files does not matter.
    expect((await sweep("--merge", ...parts.reverse())).stdout).toBe(unsharded);
    const merged = join(dir, "merged.jsonl");
    await sweep("--merge", ...parts, "--out", merged);
    expect(await readFile(merged, "utf8")).toBe(unsharded);
  }, 120_000);

  test("resumes a killed sweep: runs already in --out are skipped, a half-written line is run again", async () => {
    const out = join(dir, "resumed.jsonl");
    const lines = unsharded.split("\n").slice(0, RUNS);
    const smallAt = lines.findIndex((l) => l.includes('"scenario":"small.yaml"'));
    // A run marked so that running it again would show: its line must survive the resume as it is.
    const marked = lines[smallAt].replace('"endS":', '"endS":1000000,"was":');
    const kept = [...lines.slice(0, smallAt), marked];
    await writeFile(out, kept.join("\n") + "\n" + lines[smallAt + 1].slice(0, 40));
    const r = await sweep(grid, "--workers", "0", "--out", out);
    // The kept runs that had failed are run again; the ones with a result are not.
    const failedBefore = kept.filter((l) => l.includes('"error":')).length;
    expect(r.stderr).toContain(`${RUNS - kept.length + failedBefore} done now (${8}`);
    expect(r.stderr).toContain(`${kept.length - failedBefore} already in ${out}`);
    expect(await readFile(out, "utf8")).toBe(unsharded.replace(lines[smallAt], marked));
    // Failed runs are tried again on every rerun, and the file keeps one line per run.
    const again = await sweep(grid, "--workers", "0", "--out", out);
    expect(again.stderr).toContain(`8 done now (8 failed), ${RUNS - 8} already in`);
    expect(await readFile(out, "utf8")).toBe(unsharded.replace(lines[smallAt], marked));
  }, 120_000);

  test("--summary prints a row per point, means over seeds, and writes the CSV and a chart per swept tunable", async () => {
    const out = join(dir, "sum.jsonl");
    await writeFile(out, unsharded);
    const r = await sweep("--summary", out);
    const rows = r.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^scenario\s+variant\s+pages_to_scan\s+scan_sleep_millisecs\s+runs\s+failed\s+t\.cyclesPerAccess/);
    expect(rows).toHaveLength(1 + RUNS / 2);
    expect(rows.filter((l) => /^oom\.yaml .* 0\s+2\s*$/.test(l))).toHaveLength(4);
    const csv = await readFile(join(dir, "sum.csv"), "utf8");
    expect(csv.split("\n")[0]).toBe("scenario,variant,khugepaged/pages_to_scan,khugepaged/scan_sleep_millisecs,runs,failed," +
      "t.cyclesPerAccess,t.collapses,khugepaged.pagesCollapsed,khugepaged.wakeups");
    // Only pages_to_scan takes more than one value.
    expect(await readFile(join(dir, "sum.khugepaged-pages_to_scan.svg"), "utf8")).toMatch(/^<svg[^]*t \(lazyfree-skip\)/);
    await expect(readFile(join(dir, "sum.khugepaged-scan_sleep_millisecs.svg"))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});

describe("khugesim sweep refuses bad input with one line and exit status 2", () => {
  test.each([
    [["missing.yaml"], /^Cannot load sweep "missing\.yaml": cannot be read: no such file$/],
    [["@bad"], /^Cannot load sweep ".*bad\.yaml": malformed YAML at line \d+, column \d+: /],
    [["@variant"], /^Cannot load sweep ".*variant\.yaml": variants\[1\] must be one of baseline, .*got "lazyfree-drop"$/],
    [["@preset"], /^Cannot load sweep ".*preset\.yaml": scenario names neither a file nor a preset: "hot3"$/],
    [["@grid", "--shard", "3/3"], /^--shard must be I\/N with N at least 1 and I from 0 to N-1, got "3\/3"$/],
    [["@grid", "--workers", "two"], /^--workers must be an integer from 0 \(this thread\) to 256, got "two"$/],
    [["@grid", "--out", "/nonexistent/o.jsonl"], /^--out: cannot write \/nonexistent\/o\.jsonl: no such directory \/nonexistent$/],
    [["@grid", "--merge", "a.jsonl"], /^sweep takes one of a sweep file, --merge and --summary, got a sweep file and --merge$/],
    [["@grid", "--csv", "x.csv"], /^--csv cannot be used with a sweep file$/],
    [[], /^sweep needs a sweep file, --merge FILE… or --summary FILE$/],
    [["--merge", "@grid"], /^Cannot read sweep output ".*grid\.yaml": line 1 is not a run record$/],
    [["--summary", "none.jsonl"], /^Cannot read sweep output "none\.jsonl": no such file$/],
  ])("sweep %j", async (args, message) => {
    const files: Record<string, string> = {
      bad: "scenario: [x\n", variant: "scenario: hot1-hot2\nvariants: [baseline, lazyfree-drop]\nseeds: [1]\n",
      preset: "scenario: hot3\nvariants: baseline\nseeds: 1\n", grid: GRID,
    };
    const argv = await Promise.all(args.map(async (a) => {
      if (!a.startsWith("@")) return a;
      const path = join(dir, `${a.slice(1)}.yaml`);
      await writeFile(path, files[a.slice(1)]);
      return path;
    }));
    const r = await runMain("sweep", ...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
  });
});

describe("runOnWorkers", () => {
  test("a worker that dies takes only its run with it, recorded as failed; a new worker runs the rest", async () => {
    const { runOnWorkers } = await import("../host/node/sweep_pool.ts");
    const { expandGrid } = await import("../host/sweep/run_point.ts");
    const { validateSweepSpec } = await import("../host/sweep/sweep_spec.ts");
    const { parseScenarioText } = await import("../host/scenario/mod.ts");
    const points = expandGrid(validateSweepSpec({ scenario: "small", variants: ["baseline"], seeds: [1, 2, 3, 4] }, "g"));
    const lines: string[] = [];
    await runOnWorkers({ small: parseScenarioText(SMALL, "small.yaml") }, points, 2, (i, line) => (lines[i] = line), { index: 1, exitCode: 7 });
    const records = lines.map((l) => JSON.parse(l) as { seed: number; error?: string; result?: unknown });
    expect(records.map((r) => r.seed)).toEqual([1, 2, 3, 4]);
    expect(records[1].error).toMatch(/^Sweep worker \d died: exited with code 7$/);
    for (const i of [0, 2, 3]) expect(records[i].result).toBeDefined();
  }, 120_000);
});
