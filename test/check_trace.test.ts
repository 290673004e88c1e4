/**
 * check-trace: the parsers on real 6.18 traces recorded on this project's machine
 * (perf script and a tracefs instance's trace, bench/native/record_trace.sh) and on
 * trace-cmd report text written in its layout; and the comparison's round trip: a
 * simulated run's own trace checks at 100 % and 0 s, an edited status, a dropped row and
 * a 3 % stretch of times each fail at the line they touch.
 */
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, test } from "vitest";
import { hashedPointer } from "../host/kernel/trace.ts";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { checkTrace, TieError, type TraceCheck } from "../host/run/trace_check.ts";
import { parseTrace, TraceParseError } from "../host/kernel/trace_parse.ts";
import { runMain } from "./cli_in_process.ts";
import * as lib from "../host/mod.ts";
import type { RunResult } from "../host/run/result.ts";

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("parseTrace()", () => {
  test("reads perf script output of a real 6.18 kernel, line by line", async () => {
    const text = await fixture("perf_script_6.18.txt");
    const records = parseTrace(text);
    expect(records).toHaveLength(text.trim().split("\n").length);
    const first = text.split("\n")[0];
    expect(records[0]).toMatchObject({ line: 1, comm: "khugepaged", pid: 41, event: first.includes("scan_pmd") ? "mm_khugepaged_scan_pmd" : expect.any(String) });
    expect(records[0].ts).toBe(Number(/(\d+\.\d+):/.exec(first)![1]));
    const statuses = new Set(records.filter((r) => r.event === "mm_khugepaged_scan_pmd").map((r) => r.fields.status));
    expect([...statuses].sort()).toEqual(["lack_referenced_page", "page_pmd_mapped", "pmd_none", "pmd_null", "succeeded"]);
    for (const r of records.filter((x) => x.event === "mm_collapse_huge_page")) expect(r.fields.isolated).toMatch(/^[01]$/);
  });

  test("reads a tracefs instance's trace, skipping its header, with and without preempt-count flags", async () => {
    const text = await fixture("tracefs_6.18.txt");
    const records = parseTrace(text);
    const body = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(records).toHaveLength(body.length);
    expect(records[0].line).toBe(text.split("\n").findIndex((l) => l !== "" && !l.startsWith("#")) + 1);
    expect(records.every((r) => r.comm === "khugepaged" && r.pid === 41)).toBe(true);
    expect(records.find((r) => r.event === "mm_khugepaged_scan_pmd")!.fields.mm).toMatch(/^[0-9a-f]{16}$/);
  });

  test("reads trace-cmd report text: its cpus= and empty-CPU lines, no flags column, a task's MADV_COLLAPSE row", async () => {
    const records = parseTrace(await fixture("trace_cmd_report.txt"));
    expect(records.map((r) => [r.line, r.event])).toEqual([
      [3, "mm_khugepaged_scan_pmd"], [4, "mm_collapse_huge_page_isolate"], [5, "mm_collapse_huge_page"],
      [6, "mm_khugepaged_scan_pmd"], [7, "mm_khugepaged_scan_pmd"], [8, "mm_khugepaged_scan_pmd"],
    ]);
    expect(records[5]).toMatchObject({ comm: "thp_touch", pid: 32406, ts: 773.3001 });
    expect(records[3].fields).toMatchObject({ mm: "0xffff88812a65ddc0", referenced: "512", none_or_zero: "0", status: "succeeded" });
  });

  test("refuses, by line number, a line that is not an event, an event of another kind, and a file without events", () => {
    const ok = "      khugepaged-41      [000] .....   773.216344: mm_collapse_huge_page: mm=0000000012345678, isolated=1, status=succeeded";
    expect(() => parseTrace(`${ok}\nnot a trace\n`)).toThrow(/^line 2 is not an ftrace, trace-cmd report or perf script event line: "not a trace"$/);
    expect(() => parseTrace(`${ok}\n          <idle>-0       [001] d..2.   773.3: sched_switch: prev_comm=swapper/1 prev_pid=0\n`))
      .toThrow(/^line 2 is a sched_switch event, not one of mm_khugepaged_scan_pmd/);
    expect(() => parseTrace("# tracer: nop\n#\n")).toThrow(TraceParseError);
    expect(() => parseTrace("      khugepaged-41      [000] .....   1.0: mm_khugepaged_scan_pmd: mm=1, status=pmd_none\n"))
      .toThrow(/^line 1 is an mm_khugepaged_scan_pmd event without referenced=/);
  });
});

const SCENARIO = validateScenario({
  name: "two", tunables: { enabled: "madvise" }, variants: ["baseline"], durationS: 40,
  tasks: [
    { name: "a", vmas: [{ name: "m", size: "16 MiB", populate: true }], steps: [{ do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" }] },
    { name: "b", startS: 1, vmas: [{ name: "m", size: "8 MiB", populate: true }], steps: [{ do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" }] },
  ],
}, "two");

describe("checkTrace() against the simulated run's own trace", () => {
  let text: string;
  let names: Map<string, string>;
  let run: RunResult;
  beforeAll(async () => {
    const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
    const r = await runScenario(SCENARIO, wasmEngine(memory, core), { trace: true });
    text = r.trace;
    run = r;
    names = new Map(r.tasks.map((t) => [hashedPointer(t.pid), t.name]));
  });
  const check = (real: string, map?: Map<string, string>): TraceCheck =>
    checkTrace(parseTrace(real), parseTrace(text), names, { tolerance: 0.01, gapS: 5, map });
  const lines = () => text.split("\n");
  /** The line number of the n-th (0-based) khugepaged PMD row. */
  const rowLine = (n: number) => lines().map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.includes("khugepaged-") && l.includes("mm_khugepaged_scan_pmd"))[n][1];

  test("checks at 100 % of rows and 0 s of start error", () => {
    const c = check(text);
    expect(c.failure).toBeNull();
    expect(c.matched).toBe(c.rows);
    expect(c.rows).toBe(lines().filter((l) => l.includes("khugepaged-") && l.includes("scan_pmd:")).length);
    expect(c.wakeups.length).toBeGreaterThanOrEqual(3);
    expect(c.maxErrorS).toBe(0);
  });

  test("one edited status fails at its line", () => {
    const n = rowLine(9);
    const edited = lines().map((l, i) => (i + 1 === n ? l.replace(/status=\w+/, "status=exceed_none_pte") : l)).join("\n");
    const c = check(edited);
    expect(c.failure?.line).toBe(n);
    expect(c.failure?.why).toMatch(/real \w+ status=exceed_none_pte .*, simulated \w+ status=/);
    expect(c.matched).toBe(c.rows - 1);
  });

  test("one dropped row fails in its wake-up and costs one row", () => {
    const n = rowLine(9);
    const dropped = lines().filter((_, i) => i + 1 !== n).join("\n");
    const c = check(dropped);
    expect(c.failure?.why).toMatch(/lacks the simulated row|is missing/);
    expect(c.matched).toBe(c.rows - 1);
    // The named line lies in the dropped row's wake-up, at or after where the row was.
    expect(c.failure!.line).toBeGreaterThanOrEqual(n);
  });

  test("a 3 % stretch of times fails at the second wake-up's first row", () => {
    const stretched = lines().map((l) => l.replace(/ (\d+\.\d{6}): /, (_m, t: string) => ` ${(Number(t) * 1.03).toFixed(6)}: `)).join("\n");
    const c = check(stretched);
    const second = check(text).wakeups[1].real[0].line;
    expect(c.failure?.line).toBe(second);
    expect(c.failure?.why).toMatch(/^wake-up 2 starts \+\d+\.\d{6} s from the simulated start \(3\.00 %/);
    expect(c.matched).toBe(c.rows);
  });

  test("checkRunTrace() (the library's face) names the run's mms by its tasks: its own trace passes, an edited status fails at its line", () => {
    const own = lib.checkRunTrace(lib.parseTrace(text), run, { tolerance: 0.01, gapS: 5 });
    expect(own.failure).toBeNull();
    expect(own.matched).toBe(check(text).rows);
    const n = rowLine(3);
    const edited = lines().map((l, i) => (i + 1 === n ? l.replace(/status=\w+/, "status=no_pte_table") : l)).join("\n");
    expect(lib.checkRunTrace(lib.parseTrace(edited), run, { tolerance: 0.01, gapS: 5 }).failure?.line).toBe(n);
  });

  test("mms tie by scan order, or by --map; a trace with other mms needs --map", () => {
    const extra = text.replace(/mm=([0-9a-f]{16}), scan_pfn/, "mm=00000000deadbeef, scan_pfn");
    expect(() => check(extra)).toThrow(TieError);
    expect(() => check(extra)).toThrow(/hold 3 mms .* the simulation's 2 \(a, b\): name them with --map mm=task/);
    const [a, b] = [...names.entries()];
    expect(check(text, new Map([[a[0], a[1]], [b[0], b[1]]])).failure).toBeNull();
    // Swapped, every row is someone else's.
    expect(check(text, new Map([[a[0], b[1]], [b[0], a[1]]])).failure).not.toBeNull();
  });
});

describe("khugesim check-trace", () => {
  test("exits 0 on its own trace, 1 on an edited one, 2 on a file that is not a trace", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const dir = await mkdtemp("/tmp/khugesim-check-");
    await writeFile(`${dir}/two.json`, JSON.stringify({
      name: "two", tunables: { enabled: "madvise" }, variants: ["baseline"], durationS: 25,
      tasks: [{ name: "a", vmas: [{ name: "m", size: "16 MiB", populate: true }], steps: [{ do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" }] }],
    }));
    expect((await runMain("run", `${dir}/two.json`, "--trace", `${dir}/t.txt`)).code).toBe(0);
    const own = await runMain("check-trace", `${dir}/two.json`, `${dir}/t.txt`);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/^check-trace: (\d+)\/\1 rows match \(100\.0 %\), \d+ wake-ups, largest start error 0\.000000 s .*: OK$/m);
    const t = await readFile(`${dir}/t.txt`, "utf8");
    await writeFile(`${dir}/e.txt`, t.replace("status=succeeded, unmapped", "status=pmd_none, unmapped"));
    const edited = await runMain("check-trace", `${dir}/two.json`, `${dir}/e.txt`);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/FAIL at line \d+/);
    await writeFile(`${dir}/bad.txt`, "hello\n");
    const bad = await runMain("check-trace", `${dir}/two.json`, `${dir}/bad.txt`);
    expect(bad).toMatchObject({ code: 2, stdout: "" });
    expect(bad.stderr).toBe(`Cannot check trace "${dir}/bad.txt": line 1 is not an ftrace, trace-cmd report or perf script event line: "hello"\n`);
    await writeFile(`${dir}/other.txt`, t.replace(/mm=([0-9a-f]{16}), scan_pfn/, "mm=00000000deadbeef, scan_pfn"));
    const untied = await runMain("check-trace", `${dir}/two.json`, `${dir}/other.txt`);
    expect(untied).toMatchObject({ code: 2, stdout: "" });
    expect(untied.stderr).toMatch(/^Cannot check trace ".*other\.txt": the trace's khugepaged rows hold 2 mms .*name them with --map mm=task\n$/);
    const badMap = await runMain("check-trace", `${dir}/two.json`, `${dir}/t.txt`, "--map", "0x1=nobody");
    expect(badMap.code).toBe(2);
    expect(badMap.stderr).toBe('Cannot use --map "0x1=nobody": the scenario has no task "nobody" (a)\n');
    const badTol = await runMain("check-trace", `${dir}/two.json`, `${dir}/t.txt`, "--tolerance", "-3");
    expect(badTol.code).toBe(2);
    expect(badTol.stderr).toMatch(/^Cannot use --tolerance "-3": expected a percentage from 0 to 100\n$/);
  });
});
