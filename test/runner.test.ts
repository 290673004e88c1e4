/**
 * The scenario runner: determinism, the seed experiment's directions under both
 * variants, and what access phases do to the page tables and the clock.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { type CompareResult, compareScenario, type Engine, type RunResult, runScenario, tsEngine, wasmEngine } from "../host/run/mod.ts";
import { loadPreset, type Scenario, validateScenario } from "../host/scenario/mod.ts";
import type { ScenarioInput } from "../host/scenario/mod.ts";
import type { Kernel } from "../host/mm/kernel.ts";

async function engine(): Promise<Engine> {
  const { memory, core } = await createCore({ maxBytes: 1024 * 1024 * 1024 });
  return wasmEngine(memory, core);
}

const task = (r: RunResult, name: string) => {
  const t = r.tasks.find((x) => x.name === name);
  if (!t) throw new Error(`no task ${name} in ${r.variant}`);
  return t;
};

/** Expect a modelled figure within a factor of two of the published one. */
const within2x = (x: number, paper: number) => expect(Math.max(x / paper, paper / x)).toBeLessThan(2);

/** Statuses of khugepaged's scan_pmd events for the mm of `pid`-th hashed pointer, by status. */
function statusesOf(trace: string): string[] {
  return [...trace.matchAll(/mm_khugepaged_scan_pmd: .*status=(\w+)/g)].map((m) => m[1]);
}

describe("runScenario() on hot1-cold-hot2", () => {
  let c: CompareResult;
  let base: RunResult;
  let skip: RunResult;
  beforeAll(async () => {
    c = await compareScenario(loadPreset("hot1-cold-hot2"), await engine(), { trace: true });
    [base, skip] = c.results;
  }, 60_000);

  test("compareScenario() runs baseline then lazyfree-skip", () => {
    expect(c.variants).toEqual(["baseline", "lazyfree-skip"]);
    expect(c.results.map((r) => r.variant)).toEqual(["baseline", "lazyfree-skip"]);
  });

  test("runScenario() collapses hot2 sooner under lazyfree-skip", () => {
    const b = task(base, "hot2").collapses, s = task(skip, "hot2").collapses;
    expect(s.firstS).not.toBeNull();
    // Without the patch cold's PMDs eat every pass from 80 s on: hot2 waits past phase B.
    expect(b.firstS === null || b.firstS > s.firstS!).toBe(true);
    expect(s.count).toBeGreaterThan(b.count);
    expect(s.lastS!).toBeLessThan(task(skip, "hot2").measurement!.startS);
  });

  test("runScenario() gives hot2 fewer dTLB misses, fewer cycles per access, more throughput with the patch", () => {
    const b = task(base, "hot2"), s = task(skip, "hot2");
    expect(s.perf!.dtlbLoadMisses).toBeLessThan(b.perf!.dtlbLoadMisses);
    expect(s.measurement!.cyclesPerAccess).toBeLessThan(b.measurement!.cyclesPerAccess);
    expect(s.measurement!.throughputMps).toBeGreaterThan(b.measurement!.throughputMps);
    expect(s.measurement!.seconds).toBeLessThan(b.measurement!.seconds);
    expect(s.memory.anonHugePagesKb).toBeGreaterThan(b.memory.anonHugePagesKb);
  });

  test("runScenario() lands hot2's baseline row within 2x of the published one (3.14 s, 4.96, 104.38 M/s, 284,814,532)", () => {
    const b = task(base, "hot2");
    within2x(b.measurement!.seconds, 3.14);
    within2x(b.measurement!.cyclesPerAccess, 4.96);
    within2x(b.measurement!.throughputMps, 104.38);
    within2x(b.perf!.dtlbLoadMisses, 284_814_532);
    expect(b.measurement!.accesses).toBe(327_680_000);
  });

  test("runScenario() lands hot2's time, cycles and throughput with the patch within 2x of the published row", () => {
    const s = task(skip, "hot2");
    within2x(s.measurement!.seconds, 2.93);
    within2x(s.measurement!.cyclesPerAccess, 2.21);
    within2x(s.measurement!.throughputMps, 111.89);
  });

  test("runScenario() samples straight away when warmupAccesses is 0", async () => {
    const r = await runScenario(loadPreset("hot1-cold-hot2"), await engine(), {
      variant: "lazyfree-skip", warmupAccesses: 0, trace: false,
    });
    const m = task(r, "hot2").measurement!;
    expect(m.accesses).toBe(327_680_000);
    expect(Number.isFinite(m.cyclesPerAccess)).toBe(true);
    within2x(m.cyclesPerAccess, task(skip, "hot2").measurement!.cyclesPerAccess);
  }, 30_000);

  test("runScenario() refuses sampling options it cannot sample with, naming the option", async () => {
    const e = await engine();
    await expect(runScenario(loadPreset("hot1-cold-hot2"), e, { sampleAccesses: 0 }))
      .rejects.toThrow(/sampleAccesses must be a positive integer, got 0$/);
    await expect(runScenario(loadPreset("hot1-cold-hot2"), e, { warmupAccesses: -1 }))
      .rejects.toThrow(/warmupAccesses must be a non-negative integer, got -1$/);
  });

  test("runScenario() never collapses cold's lazy-free memory under lazyfree-skip", () => {
    expect(task(skip, "cold").collapses.lazyfreeKb).toBe(0);
    expect(task(skip, "cold").memory.lazyFreeKb).toBe(128 * 1024);
    expect(statusesOf(skip.trace)).toContain("page_lazyfree");
  });

  test("runScenario() leaves the baseline's verdict on cold to the referenced-page rule", () => {
    // MADV_FREE left cold's PTEs old and clean: 6.18 scans them, finds none referenced, and keeps them.
    expect(statusesOf(base.trace)).toContain("lack_referenced_page");
    expect(statusesOf(base.trace)).not.toContain("page_lazyfree");
    expect(task(base, "cold").collapses.count).toBe(0);
  });

  test("runScenario() gives byte-identical JSON and trace for the same scenario and seed", async () => {
    const again = await compareScenario(loadPreset("hot1-cold-hot2"), await engine(), { trace: true });
    expect(comparisonJson(again)).toBe(comparisonJson(c));
    expect(again.results.map((r) => r.trace)).toEqual(c.results.map((r) => r.trace));
    expect(JSON.stringify(again.results.map((r) => r.series))).toBe(JSON.stringify(c.results.map((r) => r.series)));
  }, 60_000);

  test("runScenario() samples the time series once per interval to the end of the run", () => {
    const times = base.series.map((p) => p.timeS);
    expect(times.slice(0, 3)).toEqual([1, 2, 3]);
    expect(times.at(-1)).toBe(base.endS);
    const hot2 = base.series.filter((p) => p.tasks.hot2).map((p) => p.tasks.hot2);
    expect(hot2.every((s) => s.rssKb === 128 * 1024)).toBe(true);
    expect(skip.series.at(-1)!.tasks.hot2.anonHugePagesKb).toBe(128 * 1024);
  });
});

/** A one-task scenario over a 16 MiB region (8 PMDs) that is THP-eligible after MADV_HUGEPAGE. */
function small(steps: unknown[], extra: Partial<ScenarioInput> = {}): Scenario {
  return validateScenario({
    name: "small", tunables: { enabled: "madvise" }, variants: ["baseline", "lazyfree-skip"],
    tasks: [{ name: "t", vmas: [{ name: "m", size: "16 MiB", populate: true }], steps }], ...extra,
  }, "small");
}

describe("access phases", () => {
  let e: Engine;
  beforeAll(async () => {
    e = await engine();
  });

  test("runScenario() re-dirties lazy-free pages written by an access phase, so lazyfree-skip collapses them", async () => {
    const s = small([
      { do: "madvise", vma: "m", advice: "MADV_FREE" },
      { do: "access", vma: "m", pattern: { kind: "uniform" }, writeFraction: 0.5, count: 1_000_000 },
      { do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" },
      { do: "sleep", seconds: 1 },
    ]);
    const r = await runScenario(s, e, { variant: "lazyfree-skip", tlbMode: "exact" });
    expect(task(r, "t").memory.anonHugePagesKb).toBe(16 * 1024);
    expect(task(r, "t").collapses.lazyfreeKb).toBe(0);
  });

  test("runScenario() makes pages read by an access phase young, so the baseline collapses MADV_FREE'd memory", async () => {
    const s = small([
      { do: "madvise", vma: "m", advice: "MADV_FREE" },
      { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 1_000_000 },
      { do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" },
      { do: "sleep", seconds: 1 },
    ]);
    const base = await runScenario(s, e, { variant: "baseline", tlbMode: "exact" });
    expect(task(base, "t").collapses.count).toBe(8);
    expect(task(base, "t").collapses.lazyfreeKb).toBe(16 * 1024);
    const skip = await runScenario(s, e, { variant: "lazyfree-skip", tlbMode: "exact" });
    expect(task(skip, "t").collapses.count).toBe(0);
    expect(statusesOf(skip.trace).every((st) => st === "page_lazyfree")).toBe(true);
  });

  test("runScenario() empties a task's TLB after khugepaged collapses a PMD of its mm, and only then", async () => {
    // 16 pages that stay in the L1 DTLB: each fill of them is 16 walks.
    const walksOf = async (advice: string) => {
      const s = validateScenario({
        name: "flush", tunables: { enabled: "madvise" },
        tasks: [{
          name: "t",
          vmas: [{ name: "m", size: "16 MiB", populate: true }, { name: "few", size: "64 KiB", populate: true }],
          steps: [
            { do: "madvise", vma: "m", advice },
            { do: "access", vma: "few", pattern: { kind: "uniform" }, rate: 1e6, durationS: 3 },
          ],
        }],
      }, "flush");
      const t = task(await runScenario(s, e, { variant: "baseline", tlbMode: "exact" }), "t");
      return { walks: t.perf!.walks, collapses: t.collapses };
    };
    const flushed = await walksOf("MADV_HUGEPAGE");
    expect(flushed.collapses.count).toBe(8);
    expect(flushed.collapses.firstS!).toBeLessThan(3);
    expect(flushed.walks).toBeGreaterThan(16);
    expect(flushed.walks % 16).toBe(0);
    const kept = await walksOf("MADV_NOHUGEPAGE");
    expect(kept.collapses.count).toBe(0);
    expect(kept.walks).toBe(16);
  });

  test("runScenario() empties a task's TLB after a madvise of more than 33 pages of its mm or a fork; 33 or fewer go one by one", async () => {
    // Reads of 16 pages, `step`, the same reads again: 16 walks, 32 if `step` flushed them all.
    const walksAround = async (step: unknown) => {
      const read = { do: "access", vma: "few", pattern: { kind: "uniform" }, count: 100_000 };
      const s = validateScenario({
        name: "flush",
        tasks: [{
          name: "t",
          vmas: [{ name: "m", size: "16 MiB", populate: true }, { name: "few", size: "64 KiB", populate: true }],
          steps: [read, step, read],
        }],
      }, "flush");
      return task(await runScenario(s, e, { tlbMode: "exact" }), "t").perf!.walks;
    };
    const dontneed = (length: string, vma = "m") => ({ do: "madvise", vma, offset: 0, length, advice: "MADV_DONTNEED" });
    expect(await walksAround(dontneed("136 KiB"))).toBe(32);
    expect(await walksAround(dontneed("132 KiB"))).toBe(16);
    // 8 of the 16 pages read: only their translations go.
    expect(await walksAround(dontneed("32 KiB", "few"))).toBe(24);
    expect(await walksAround({ do: "fork", child: "c" })).toBe(32);
    expect(await walksAround({ do: "sleep", seconds: 1 })).toBe(16);
  });

  test("runScenario() registers a task's TLB with its mm while the task runs, and only then", async () => {
    const read = { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 1000 };
    let kernel: Kernel | undefined;
    const sizes: number[] = [];
    const s = validateScenario({
      name: "tlbs",
      tasks: [
        { name: "t", vmas: [{ name: "m", size: "2 MiB", populate: true }], steps: [read, { do: "sleep", seconds: 2 }] },
        { name: "u", vmas: [{ name: "m", size: "2 MiB", populate: true }], steps: [read, { do: "exit" }] },
      ],
    }, "tlbs");
    await runScenario(s, e, {
      tlbMode: "exact",
      onEvent: (ev) => {
        if (ev.type === "start") kernel = ev.kernel;
        if (ev.type === "interval") sizes.push(kernel!.mms.reduce((n, mm) => n + mm.tlbs.size, 0));
      },
    });
    expect(sizes[0]).toBe(1); // t sleeps with its TLB registered; u has exited
    expect(kernel!.mms.every((mm) => mm.tlbs.size === 0)).toBe(true);
  });

  test("runScenario() paces an access phase without a rate by the cost model", async () => {
    const s = small([{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 2_000_000, measure: true }]);
    const r = await runScenario(s, e, { variant: "baseline", tlbMode: "exact" });
    const m = task(r, "t").measurement!;
    // 16 MiB of 4 KiB pages is 4096 translations: Zen 5's L2 DTLB holds them, so walks are rare.
    expect(m.walksPerAccess).toBeLessThan(0.05);
    expect(m.seconds).toBeCloseTo(2_000_000 * (8.43e-9 + m.cyclesPerAccess / 4.29e9), 2);
    expect(r.endS).toBeCloseTo(m.endS, 6);
  });

  test("runScenario() holds a duration-bound phase to its duration at a fixed rate", async () => {
    const s = small([{ do: "access", vma: "m", pattern: { kind: "zipf", exponent: 1 }, rate: 1e6, durationS: 2.5 }]);
    const r = await runScenario(s, e, { variant: "baseline", tlbMode: "exact" });
    expect(task(r, "t").perf!.accesses).toBe(2_500_000);
    expect(r.endS).toBeCloseTo(2.5, 9);
  });

  test("runScenario() agrees between exact and sampled TLB simulation within the stated error", async () => {
    const s = validateScenario({
      name: "big", tunables: { enabled: "madvise" }, tasks: [{ name: "t", vmas: [{ name: "m", size: "128 MiB", populate: true }],
        steps: [{ do: "access", vma: "m", pattern: { kind: "hot", hotFraction: 0.25, hotProbability: 0.8 }, count: 6_000_000, measure: true }] }],
    }, "big");
    const exact = task(await runScenario(s, e, { tlbMode: "exact" }), "t").measurement!;
    const sampled = task(await runScenario(s, e, { tlbMode: "sample" }), "t").measurement!;
    expect(exact.walksPerAccessStdError).toBe(0);
    expect(sampled.walksPerAccessStdError).toBeGreaterThan(0);
    expect(Math.abs(sampled.walksPerAccess - exact.walksPerAccess)).toBeLessThan(5 * sampled.walksPerAccessStdError + 0.002);
  });

  test("runScenario() reports start, one interval per simulated interval, then done with the result it returns", async () => {
    const seen: string[] = [];
    let done: unknown;
    const r = await runScenario(small([{ do: "sleep", seconds: 3.5 }]), e, {
      onEvent: (ev) => {
        seen.push(ev.type === "interval" ? `interval ${ev.progress.timeS}` : ev.type);
        if (ev.type === "done") done = ev.result;
      },
    });
    expect(seen).toEqual(["start", "interval 1", "interval 2", "interval 3", "done"]);
    expect(done).toBe(r);
  });

  test("runScenario() runs the TypeScript reference engine to the same results as WASM", async () => {
    const s = small([
      { do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" },
      { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 300_000, measure: true },
    ]);
    const a = await runScenario(s, e, { tlbMode: "exact", trace: true });
    const b = await runScenario(s, tsEngine(), { tlbMode: "exact", trace: true });
    expect(b.trace).toBe(a.trace);
    expect(b.tasks).toEqual(a.tasks);
  });

  test("runScenario() reports a step the kernel refuses as a ScenarioError naming the step", async () => {
    const s = small([{ do: "touch", vma: "m" }], { memory: { totalBytes: "4 MiB" } });
    await expect(runScenario(s, e)).rejects.toThrow(/^Cannot run scenario "small": tasks\[0\]\.vmas\[0\] failed at 0\.000 s: Out of memory/);
  });
});

describe("runScenario() on a scenario that bypassed the loader", () => {
  const refusal = (s: Scenario) => runScenario(s, tsEngine()).then(() => null, (err: Error) => [err.name, err.message]);

  test("runScenario() refuses an intervalS of under 1 ns before running, naming it", async () => {
    expect(await refusal({ ...small([]), intervalS: 1e-10 }))
      .toEqual(["RangeError", 'Cannot run "small": intervalS must be at least 1 ns, a tick of the clock, got 1e-10']);
  });

  test("runScenario() refuses a durationS past 100 days and a time series past 100,000 samples", async () => {
    expect(await refusal({ ...small([]), durationS: 1e12 })).toEqual(["RangeError",
      'Cannot run "small": durationS must be at most 8640000 s (100 days of simulated time), got 1000000000000']);
    expect(await refusal({ ...small([]), durationS: 1e6 })).toEqual(["RangeError", 'Cannot run "small": ' +
      "intervalS must keep the time series to at most 100,000 samples, got durationS / intervalS = 1000000"]);
  });

  test("runScenario() refuses an access phase slower than one access per interval, which would never end", async () => {
    const s = small([{ do: "access", vma: "m", pattern: { kind: "uniform" }, rate: 1, count: 3 }]);
    expect(await refusal({ ...s, intervalS: 0.5 })).toEqual(["RangeError",
      'Cannot run "small": tasks[0].steps[0].rate must be at least 1 / intervalS (2) so that an access fits in one ' +
        "sampling interval, got 1"]);
  });

  test("runScenario() runs an access phase of exactly one access per interval to its end", async () => {
    const s = small([{ do: "access", vma: "m", pattern: { kind: "uniform" }, rate: 2, count: 3 }], { intervalS: 0.5 });
    const r = await runScenario(s, tsEngine(), { tlbMode: "exact" });
    expect(task(r, "t").perf!.accesses).toBe(3);
    expect(r.endS).toBe(1.5);
  });

  test("runScenario() refuses more memory than the physical-memory model holds", async () => {
    expect(await refusal({ ...small([]), memory: { totalBytes: 16 * 1024 ** 4, fragmentation: 0 } }))
      .toEqual(["RangeError", "memory.totalBytes must be at most 8 TiB (8796093022208), got 17592186044416"]);
  });
});
