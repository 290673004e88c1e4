/**
 * `khugesim bench scan` in this process: what it reports and how it refuses bad input.
 * No figure's size is asserted (speed is measured in bench/ only): only its shape and
 * how the figures relate.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { ScanBenchReport } from "../host/bench/scan_bench.ts";
import { benchScan } from "../host/node/mod.ts";
import { runMain } from "./cli_in_process.ts";

let dir: string, map: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-bench-"));
  map = join(dir, "map.yaml");
  await writeFile(map, "preset: realistic\nsize: 256MiB\ntasks: 2\nseed: 5\n");
});

describe("khugesim bench scan", () => {
  test("times the cores asked for over a generated map's PMDs, each against the TS twin and the read limit", async () => {
    const r = await runMain("bench", "scan", "--set", map, "--engine", "simd,ts", "--variant", "lazyfree-skip", "--time", "0.02", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ScanBenchReport;
    const generated = await runMain("generate", "--spec", map, "--json");
    expect(report).toMatchObject({ set: map, variant: "lazyfree-skip", pmds: JSON.parse(generated.stdout).stats.pmds });
    expect(Object.keys(report.engines)).toEqual(["simd", "ts"]);
    const { simd, ts } = report.engines as Required<ScanBenchReport["engines"]>;
    for (const rate of [simd, ts, report.readLimit]) expect(rate.ptesPerS).toBeGreaterThan(0);
    expect(report.ratios.simd!.toTs).toBeCloseTo(simd.ptesPerS / ts.ptesPerS, 10);
    expect(report.ratios.ts!.toTs).toBeUndefined();
    expect(report.ratios.ts!.toReadLimit).toBeCloseTo(ts.ptesPerS / report.readLimit.ptesPerS, 10);
    expect(report.runtime).toBe(`Node ${process.version}`);
  }, 120_000);

  test("prints a table of the cores and the read limit by default", async () => {
    const r = await runMain("bench", "scan", "--engine", "wasm", "--time", "0.02");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Scan of cache \(64 PMDs\), variant baseline; Node v/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(["core", "wasm", "read limit"]);
  }, 60_000);

  test("benchScan() in the library is the same measurement: the set built in, the cores asked for", async () => {
    const r = await benchScan({ set: "cache", engines: ["wasm"], maxTime: 0.02, runtime: "test" });
    expect(r).toMatchObject({ set: "cache", pmds: 64, variant: "baseline", runtime: "test", cpu: null });
    expect(Object.keys(r.engines)).toEqual(["wasm"]);
    expect(r.ratios.wasm!.toReadLimit).toBeCloseTo(r.engines.wasm!.ptesPerS / r.readLimit.ptesPerS, 10);
  }, 60_000);

  test.each([
    [["--engine", "ts,gpu"], /^--engine must list cores from ts, wasm, simd, got "ts,gpu"$/],
    [["--engine", "ts,ts"], /^--engine names "ts" twice$/],
    [["--set", "nowhere"], /^--set must be cache, 256MiB or a map description file, got "nowhere": no such file$/],
    [["--set", "@bad"], /^--set .*bad\.yaml: size must be a positive multiple of 2 MiB, got 3145728$/],
    [["--time", "0"], /^--time must be seconds per core, more than 0 and at most 600, got "0"$/],
    [["--variant", "next"], /^--variant must be one of baseline, .*got "next"$/],
  ])("refuses %j with one line and exit status 2", async (args, message) => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "size: 3MiB\n");
    const r = await runMain("bench", "scan", ...args.map((a) => (a === "@bad" ? bad : a)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
  });
});
