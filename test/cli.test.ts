/** The khugesim CLI end to end, as a user runs it: `npx tsx host/node/cli.ts ...`. */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with `args`; never rejects. */
function cli(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile("npx", ["tsx", "host/node/cli.ts", ...args], { cwd: ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-cli-"));
});

describe("khugesim CLI", () => {
  test.concurrent("validate exits 0 for a good scenario file and 2 for a bad one, naming file, field and reason", async () => {
    const good = join(dir, "good.yaml");
    const bad = join(dir, "bad.yaml");
    await writeFile(good, "name: g\ntasks:\n  - name: a\n    vmas: [{ name: buf, size: 2 MiB }]\n");
    await writeFile(bad, "name: b\ntasks:\n  - name: a\n    vmas: [{ name: buf, size: 5000 }]\n");
    const ok = await cli("validate", good);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/good\.yaml: OK, scenario "g", 1 task/);
    const no = await cli("validate", bad);
    expect(no.code).toBe(2);
    expectOneLine(no.stderr);
    expect(no.stderr.trim()).toBe(`Cannot load scenario "${bad}": tasks[0].vmas[0].size must be a multiple of 4096, got 5000`);
  }, 30_000);

  test.concurrent("run exits 2 with one line for an unknown preset", async () => {
    const r = await cli("run", "hot3-cold");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^Cannot load scenario "hot3-cold": is neither a file nor a preset \(presets: hot1-cold-hot2, /);
  }, 30_000);

  test.concurrent("compare exits 2 for an unknown option and for an unknown variant", async () => {
    const opt = await cli("compare", "hot1-cold-hot2", "--colour");
    expect(opt.code).toBe(2);
    expectOneLine(opt.stderr);
    const variant = await cli("compare", "hot1-cold-hot2", "--variants", "baseline,mine");
    expect(variant.code).toBe(2);
    expect(variant.stderr.trim()).toBe('Cannot use --variants "baseline,mine": "mine" is not a kernel variant (baseline, lazyfree-skip, lazyfree-keep)');
  }, 30_000);

  test.concurrent("--help works for the program and every command", async () => {
    for (const args of [["--help"], ["compare", "--help"], ["validate", "--help"]]) {
      const r = await cli(...args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/^Usage: khugesim/);
    }
  }, 60_000);

  test.concurrent("presets lists every preset and --show prints one that validates", async () => {
    const list = await cli("presets");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^hot1-cold-hot2 /m);
    expect(list.stdout).toMatch(/^scan-page-lazyfree /m);
    const shown = await cli("presets", "--show", "hot1-hot2");
    const file = join(dir, "hot1-hot2.yaml");
    await writeFile(file, shown.stdout);
    expect((await cli("validate", file)).code).toBe(0);
  }, 30_000);

  test.concurrent("compare --json prints the comparison object and writes trace, CSV and SVG files whole", async () => {
    // A folder of its own: the tests run concurrently, and another one's temporaries must not count here.
    const own = await mkdtemp(join(dir, "cmp-"));
    const out = join(own, "cmp");
    const r = await cli("compare", "hot1-cold-hot2", "--json", "--trace", `${out}.trace.txt`, "--csv", `${out}.csv`, "--svg", `${out}.svg`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.scenario).toBe("hot1-cold-hot2");
    expect(j.variants).toEqual(["baseline", "lazyfree-skip"]);
    for (const v of j.variants) {
      expect(Object.keys(j.results[v].tasks)).toEqual(["hot1", "cold", "hot2"]);
      for (const t of Object.values(j.results[v].tasks) as Array<Record<string, unknown>>) {
        for (const key of ["accessTimeS", "cyclesPerAccess", "throughputMps", "dtlbLoadMisses", "anonHugeKb", "firstCollapseS", "lastCollapseS"]) {
          expect(t).toHaveProperty(key);
        }
      }
      expect(j.results[v].khugepaged).toMatchObject({ fullScans: expect.any(Number), pagesCollapsed: expect.any(Number) });
    }
    expect(j.results.baseline.tasks.hot2.firstCollapseS).toBeNull();
    expect(j.results["lazyfree-skip"].tasks.hot2.anonHugeKb).toBe(131072);
    const files = (await readdir(own)).filter((f) => f.startsWith("cmp"));
    expect(files.sort()).toEqual(["cmp.csv", "cmp.svg", "cmp.trace.baseline.txt", "cmp.trace.lazyfree-skip.txt"]);
    expect(await readFile(`${out}.trace.lazyfree-skip.txt`, "utf8")).toMatch(/^# tracer: nop\n[\s\S]*mm_khugepaged_scan: /);
    expect(await readFile(`${out}.csv`, "utf8")).toMatch(/^variant,timeS,task,anonHugePagesKb,/);
    expect(await readFile(`${out}.svg`, "utf8")).toMatch(/^<svg [\s\S]*hot2 \(lazyfree-skip\)[\s\S]*<\/svg>$/);
    expect((await readdir(own)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 60_000);

  test.concurrent("run writes no output file when another output cannot be written", async () => {
    const csv = join(dir, "partial.csv");
    const r = await cli("run", "scan-succeeded", "--csv", csv, "--svg", join(dir, "no-such-dir", "x.svg"));
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    const left = (await readdir(dir)).filter((f) => f.includes("partial"));
    expect(left).toEqual([]);
  }, 30_000);

  test.concurrent("run prints the seed program's report of a measurement phase", async () => {
    const file = join(dir, "phase.yaml");
    await writeFile(file, [
      "name: phase", "tunables: { enabled: madvise }", "variants: [baseline]", "tasks:",
      "  - name: t", "    vmas: [{ name: m, size: 128 MiB, populate: true }]",
      "    steps: [{ do: access, vma: m, pattern: { kind: uniform }, count: 3000000, measure: true }]", "",
    ].join("\n"));
    const r = await cli("run", file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Process t\n {2}Completed 3000000 accesses in \d+\.\d\d seconds\n {2}Average cycles per access: \d+\.\d\d cycles\/access\n {2}Throughput: \d+\.\d\d M accesses\/sec/);
    expect(r.stdout).toMatch(/dTLB-load-misses/);
  }, 30_000);
});
