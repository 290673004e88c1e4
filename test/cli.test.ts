/**
 * The khugesim CLI, run in this process through its commander program (runMain): the
 * commands, their refusals and their files. test/cli_process.test.ts runs it as a process.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { writeFilesAtomically } from "../host/node/atomic_write.ts";
import { runMain as cli } from "./cli_in_process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

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
  test("validate exits 0 for a good scenario file and 2 for a bad one, naming file, field and reason", async () => {
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

  test("run exits 2 with one line for an unknown preset", async () => {
    const r = await cli("run", "hot3-cold");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^Cannot load scenario "hot3-cold": is neither a file nor a preset \(presets: hot1-cold-hot2, /);
  }, 30_000);

  test("compare exits 2 for an unknown option and for an unknown variant", async () => {
    const opt = await cli("compare", "hot1-cold-hot2", "--colour");
    expect(opt.code).toBe(2);
    expectOneLine(opt.stderr);
    const variant = await cli("compare", "hot1-cold-hot2", "--variants", "baseline,mine");
    expect(variant.code).toBe(2);
    expect(variant.stderr.trim()).toBe('Cannot use --variants "baseline,mine": "mine" is not a kernel variant (baseline, lazyfree-skip, lazyfree-keep, or a version (6.18, 7.1, 7.2) with +policies (lazyfree-skip, lazyfree-keep, mthp-scaled))');
  }, 30_000);

  test("--help works for the program and every command", async () => {
    for (const args of [["--help"], ["compare", "--help"], ["validate", "--help"]]) {
      const r = await cli(...args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/^Usage: khugesim/);
    }
  }, 60_000);

  test("presets lists every preset and --show prints one that validates", async () => {
    const list = await cli("presets");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^hot1-cold-hot2 /m);
    expect(list.stdout).toMatch(/^scan-page-lazyfree /m);
    const shown = await cli("presets", "--show", "hot1-hot2");
    const file = join(dir, "hot1-hot2.yaml");
    await writeFile(file, shown.stdout);
    expect((await cli("validate", file)).code).toBe(0);
    // A template to edit: no task shares a list with another through a YAML alias.
    expect(shown.stdout).not.toMatch(/[&*]a\d/);
  }, 30_000);

  test("--version prints package.json's version", async () => {
    const r = await cli("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PACKAGE_VERSION);
  }, 30_000);

  test("an option commander can guess is one line with its suggestion (found by the fuzz test)", async () => {
    const r = await cli("run", "scan-succeeded", "--sweep", "x");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toBe("error: unknown option '--sweep' (Did you mean --seed?)\n");
  });

  test("compare refuses --variants naming one variant: there is nothing to compare", async () => {
    const r = await cli("compare", "scan-succeeded", "--variants", "lazyfree-skip");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe('Cannot use --variants "lazyfree-skip": compare needs at least two variants, the reference first');
  }, 30_000);

  test.each([["", '""'], [" ", '" "'], ["0x10", '"0x10"'], ["1e3", '"1e3"']])(
    "run refuses --seed %j instead of reading it as a number", async (seed, shown) => {
      const r = await cli("run", "scan-succeeded", "--seed", seed);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr.trim()).toBe(`Cannot use --seed ${shown}: expected an integer from 0 to 4294967295`);
    }, 30_000);

  test("compare --json prints the comparison object and writes trace, CSV and SVG files whole", async () => {
    // A folder of its own: another test's temporaries must not count here.
    const own = await mkdtemp(join(dir, "cmp-"));
    const out = join(own, "cmp");
    const r = await cli("compare", "hot1-cold-hot2", "--json", "--trace", `${out}.trace.txt`, "--csv", `${out}.csv`, "--svg", `${out}.svg`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.tool).toEqual({ name: "khugesim", version: PACKAGE_VERSION });
    expect(j.scenario).toBe("hot1-cold-hot2");
    expect(j.variants).toEqual(["baseline", "lazyfree-skip"]);
    // baseline is 6.18; lazyfree-skip is 7.1, whose v8 series skips lazy-free folios, with no policy on top.
    expect(j.results.baseline.kernel).toEqual({ version: "6.18", policies: [] });
    expect(j.results["lazyfree-skip"].kernel).toEqual({ version: "7.1", policies: [] });
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

  test("run writes no output file when another output cannot be written", async () => {
    const csv = join(dir, "partial.csv");
    const svg = join(dir, "no-such-dir", "x.svg");
    const r = await cli("run", "scan-succeeded", "--csv", csv, "--svg", svg);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(`--svg: cannot write ${svg}: no such directory ${join(dir, "no-such-dir")}`);
    const left = (await readdir(dir)).filter((f) => f.includes("partial"));
    expect(left).toEqual([]);
  }, 30_000);

  test("run refuses a --trace path in a missing directory before simulating, naming the flag", async () => {
    const r = await cli("run", "scan-succeeded", "--trace", "/nonexistent/dir/x.trace");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe("--trace: cannot write /nonexistent/dir/x.trace: no such directory /nonexistent/dir");
    expect(r.stdout).toBe("");
  }, 30_000);

  test("compare writes none of its outputs when --svg names a directory", async () => {
    const own = await mkdtemp(join(dir, "isdir-"));
    await mkdir(join(own, "dir.svg"));
    const r = await cli("compare", "scan-succeeded", "--trace", join(own, "t.trace"), "--csv", join(own, "s.csv"),
      "--svg", join(own, "dir.svg"));
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(`--svg: cannot write ${join(own, "dir.svg")}: it is a directory`);
    expect(await readdir(own)).toEqual(["dir.svg"]);
  }, 30_000);

  test("compare refuses two options writing one file", async () => {
    const csv = join(dir, "twice.csv");
    const r = await cli("compare", "scan-succeeded", "--csv", csv, "--svg", csv);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(`--svg: cannot write ${csv}: --csv writes it too`);
  }, 30_000);

  test("writeFilesAtomically removes the files it renamed when a later rename fails", async () => {
    const own = await mkdtemp(join(dir, "undo-"));
    await mkdir(join(own, "b.svg"));
    const files = [
      { flag: "--csv", path: join(own, "a.csv"), data: "a\n" },
      { flag: "--svg", path: join(own, "b.svg"), data: "<svg/>" },
    ];
    const err = await writeFilesAtomically(files).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`--svg: cannot write ${join(own, "b.svg")}: illegal operation on a directory`);
    expect(await readdir(own)).toEqual(["b.svg"]);
  });

  test("writeFilesAtomically puts back the file a rename replaced when a later rename fails", async () => {
    const own = await mkdtemp(join(dir, "restore-"));
    await writeFile(join(own, "a.csv"), "old\n");
    await mkdir(join(own, "b.svg"));
    const files = [
      { flag: "--csv", path: join(own, "a.csv"), data: "new\n" },
      { flag: "--svg", path: join(own, "b.svg"), data: "<svg/>" },
    ];
    const err = await writeFilesAtomically(files).catch((e: Error) => e);
    expect((err as Error).message).toBe(`--svg: cannot write ${join(own, "b.svg")}: illegal operation on a directory`);
    expect(await readFile(join(own, "a.csv"), "utf8")).toBe("old\n");
    expect((await readdir(own)).sort()).toEqual(["a.csv", "b.svg"]);
  });

  test("writeFilesAtomically replaces existing files and leaves nothing beside them", async () => {
    const own = await mkdtemp(join(dir, "replace-"));
    await writeFile(join(own, "a.csv"), "old\n");
    await writeFilesAtomically([
      { flag: "--csv", path: join(own, "a.csv"), data: "new\n" },
      { flag: "--svg", path: join(own, "b.svg"), data: "<svg/>" },
    ]);
    expect(await readFile(join(own, "a.csv"), "utf8")).toBe("new\n");
    expect((await readdir(own)).sort()).toEqual(["a.csv", "b.svg"]);
  });

  test("compare refuses --variants that name one variant twice", async () => {
    const r = await cli("compare", "scan-succeeded", "--variants", "baseline,baseline");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe('Cannot use --variants "baseline,baseline": "baseline" is named twice');
  }, 30_000);

  test("run --json names lazyfree-keep's kernel: 7.1 with the lazyfree-keep policy, as 7.1+lazyfree-keep is", async () => {
    const r = await cli("run", "scan-succeeded", "--variants", "lazyfree-keep,7.1+lazyfree-keep", "--json");
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout).results;
    expect(results["lazyfree-keep"].kernel).toEqual({ version: "7.1", policies: ["lazyfree-keep"] });
    expect(results["7.1+lazyfree-keep"].kernel).toEqual(results["lazyfree-keep"].kernel);
  }, 30_000);

  test("run prints the seed program's report of a measurement phase", async () => {
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

describe("khugesim generate", () => {
  test.each([
    ["bad.yaml", "size: [1GiB\n", "malformed YAML at line 2, column 1: Flow sequence in block collection must be " +
      "sufficiently indented and end with a ]"],
    ["cut.json", '{"preset": "realistic", "size": ', "malformed JSON: Unexpected end of JSON input"],
    ["comma.json", '{"size": "1GiB",\n}', "malformed JSON at line 2, column 1: Expected double-quoted property name"],
    ["missing.yaml", undefined, "cannot be read: no such file"],
  ])("--spec %s fails with one line naming the file, exit 2", async (name, text, reason) => {
    const file = join(dir, `spec-${name}`);
    if (text !== undefined) await writeFile(file, text);
    const r = await cli("generate", "--spec", file);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(`Cannot load map description "${file}": ${reason}`);
  }, 30_000);

  test.each([
    ["size: 3MiB\n", [], (f: string) => `Cannot load map description "${f}": size must be a positive multiple of 2 MiB, got 3145728`],
    ["fractions: { huge: 2 }\n", [], (f: string) => `Cannot load map description "${f}": fractions.huge must be a number from 0 to 1, got 2`],
    ["size: 3MiB\n", ["--size", "2MiB", "--tasks", "2"],
      () => "--size must give each of the tasks at least one 2 MiB PMD: 2 tasks need 4194304 bytes, got 2097152"],
    ["{}\n", ["--tasks", "1000"],
      () => "--tasks: size must give each of the tasks at least one 2 MiB PMD: 1000 tasks need 2097152000 bytes, got 1073741824"],
    ["fractions: { huge: 0.7 }\n", ["--fractions", "lazyfree=0.5"], () => "--fractions must sum to at most 1, got 1.2"],
    ["{}\n", ["--fractions", "huge=2"], () => "--fractions: huge must be a number from 0 to 1, got 2"],
    ["{}\n", ["--vma-size", "uniform:8MiB-4MiB"], () => "--vma-size: max must be at least min (8388608), got 4194304"],
  ])("a bad field of --spec %j with flags %j names the file or the flag that gave it", async (text, flags, message) => {
    const file = join(dir, `field-${randomUUID()}.yaml`);
    await writeFile(file, text);
    const r = await cli("generate", "--spec", file, ...flags);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(message(file));
  }, 30_000);

  test("--variants is checked with run's and compare's words", async () => {
    const r = await cli("generate", "--size", "1GiB", "--scan", "--variants", "lazyfree-skip,lazyfree-skip");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe('Cannot use --variants "lazyfree-skip,lazyfree-skip": "lazyfree-skip" is named twice');
  }, 30_000);

  test.each([
    [["--seed", ""], '--seed must be an integer, got ""'],
    [["--sparse-none", " "], '--sparse-none must be an integer, got " "'],
    [["--tasks", "0x10"], '--tasks must be an integer, got "0x10"'],
    [["--scan", "--workers", ""], '--workers must be an integer from 0 (this thread) to 256, got ""'],
    [["--fractions", "huge=abc"], '--fractions: huge must be a non-negative decimal number, got "abc"'],
    [["--population", "full=-1"], '--population: full must be a non-negative decimal number, got "-1"'],
    [["--engine", "ts"], "--engine needs --scan"],
    [["--enabled", "madvise"], "--enabled needs --scan"],
    [["--scan", "--enabled", "never", "--madv-hugepage"], "--scan: no mm is registered with khugepaged: --enabled never turns it off"],
    [["--scan", "--sweep", "max_ptes_none=600"], "--sweep max_ptes_none=600: Cannot write " +
      "transparent_hugepage/khugepaged/max_ptes_none: EINVAL, expected an integer from 0 to 511, got 600"],
    [["--scan", "--enabled", "madvise"], "--scan: no mm is registered with khugepaged: no VMA has VM_HUGEPAGE " +
      "(--madv-hugepage gives it)"],
  ])("generate %j is refused with one line naming the flag", async (flags, message) => {
    const r = await cli("generate", "--size", "1GiB", ...flags);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(message);
  }, 30_000);

  test.each([
    [["--preset", "realistic", "--size", "32TiB"], /synthetic pfn space holds 4194303 .*; lower --size or lower --fractions huge$/],
    [["--size", "64TiB"], /would map more than 65530 VMAs, vm\.max_map_count's default; raise --tasks or raise --vma-size$/],
    [["--size", "4TiB", "--no-dedup"], /bytes of core memory, .* are free; lower --size or leave out --no-dedup$/],
    [["--size", "4TiB", "--pfns", "pmd"], /bytes of core memory, .* are free; lower --size or use --pfns class$/],
  ])("generate %j is refused before it is built, naming the flags to change", async (flags, message) => {
    const r = await cli("generate", ...flags);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toMatch(message);
  }, 30_000);

  test("generate --help names every limit a map is refused for", async () => {
    const r = await cli("generate", "--help");
    expect(r.code).toBe(0);
    for (const limit of ["256 TiB", "65,530 VMAs", "128 TiB of address space", "8 TiB", "4 GiB", "--workers    0 to 256"]) {
      expect(r.stdout).toContain(limit);
    }
  });

  test("--enabled madvise scans the VM_HUGEPAGE VMAs --madv-hugepage gives; a fraction may be written 5e-1", async () => {
    const r = await cli("generate", "--size", "1GiB", "--fractions", "huge=5e-1", "--json", "--scan", "--enabled", "madvise", "--madv-hugepage");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.spec.fractions.huge).toBe(0.5);
    expect(j.scan.mms).toBe(1);
    expect(j.scan.eligibleVmas).toBe(j.stats.vmas);
  }, 30_000);

  test("--workers -1 is refused before generating, naming the flag and the help's range", async () => {
    const r = await cli("generate", "--size", "1GiB", "--scan", "--workers", "-1");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe('--workers must be an integer from 0 (this thread) to 256, got "-1"');
    expect(r.stdout).toBe("");
  }, 30_000);

  test("stdout is byte-identical across runs, text and JSON, whatever the thread count", async () => {
    const args = ["generate", "--preset", "realistic", "--size", "8GiB", "--scan", "--sweep", "max_ptes_none=0,64"];
    const a = await cli(...args, "--json", "--workers", "0");
    const b = await cli(...args, "--json", "--workers", "2");
    const c = await cli(...args, "--workers", "0");
    const d = await cli(...args, "--workers", "2");
    for (const r of [a, b, c, d]) expect(r.code, r.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(d.stdout).toBe(c.stdout);
    expect(Object.keys(JSON.parse(a.stdout))).toEqual(["tool", "spec", "stats", "scan"]);
    expect(JSON.parse(a.stdout).tool).toEqual({ name: "khugesim", version: PACKAGE_VERSION });
    expect(c.stdout).not.toMatch(/ ms\b|thread/);
    expect(d.stderr).toMatch(/^khugesim: map generated in \d+ ms, scanned in \d+ ms on 2 worker thread\(s\)\n$/);
  }, 60_000);

  test("--sweep's table fits 100 columns and names results by the variants' trace strings, as run does", async () => {
    const args = ["generate", "--preset", "realistic", "--size", "8GiB", "--scan", "--workers", "0",
      "--sweep", "max_ptes_none=0,64,511", "--sweep", "max_ptes_swap=0,64"];
    const text = await cli(...args);
    expect(text.code, text.stderr).toBe(0);
    for (const line of text.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(text.stdout).not.toMatch(/SCAN_/);
    // One row per scan: 3 variants × 3 × 2 swept values, in every block of columns.
    const rows = text.stdout.split("\n").filter((l) => /^(baseline|lazyfree-skip|lazyfree-keep) +\d+ +\d+ /.test(l));
    expect(rows.length % 18).toBe(0);
    expect(rows.length).toBeGreaterThan(0);
    const json = JSON.parse((await cli(...args, "--json")).stdout);
    const [base, skip] = [json.scan.summaries[0], json.scan.summaries[6]];
    expect([base.variant, skip.variant]).toEqual(["baseline", "lazyfree-skip"]);
    // 6.18 traces an empty PMD as pmd_none, 7.1 as no_pte_table; only 7.1 skips lazy-free folios.
    expect(Object.keys(base.results)).toContain("pmd_none");
    expect(Object.keys(skip.results)).toContain("no_pte_table");
    expect(skip.results.page_lazyfree).toBeGreaterThan(0);
    expect(base.results.page_lazyfree).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/SCAN_/);
  }, 60_000);

  test("--sweep naming one tunable twice is refused, naming it", async () => {
    const sweeps = ["--sweep", "max_ptes_none=0", "--sweep", "max_ptes_none=64"];
    const r = await cli("generate", "--size", "1GiB", "--scan", ...sweeps);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe("--sweep names max_ptes_none twice: list its values in one, e.g. max_ptes_none=0,64");
  }, 30_000);

  test.each([
    [["--sweep", "max_ptes_none=0,64"], "--sweep needs --scan"],
    [["--variants", "baseline"], "--variants needs --scan"],
  ])("%j without --scan is refused", async (flags, message) => {
    const r = await cli("generate", "--size", "1GiB", ...flags);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(message);
  }, 30_000);
});
