import { describe, expect, test } from "vitest";
import type { VariantName } from "../host/kernel/variants/mod.ts";
import { AheadPool } from "../host/node/ahead_pool.ts";
import { compareOnWorkers, runsOnWorkers } from "../host/node/compare_pool.ts";
import { makeEngine } from "../host/node/make_engine.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { compareScenario } from "../host/run/mod.ts";
import { type Engine, tsEngine } from "../host/run/engine.ts";
import { loadPreset, type Scenario, type ScenarioInput, validateScenario } from "../host/scenario/mod.ts";
import { countingEngine, inlineAhead } from "./ahead_fixture.ts";

/** One task over 16 MiB: sweeps that write it, a pause, then uniform loads, in chunks of 10 ms. */
function scenario(first: unknown[], extra: Partial<ScenarioInput> = {}): Scenario {
  const sweep = { do: "access", vma: "m", pattern: { kind: "sequential", stride: 64 }, writeFraction: 1, count: 262_144, rate: 1e8 };
  return validateScenario({
    name: "ahead", tunables: { enabled: "madvise" }, variants: ["baseline", "lazyfree-skip"], intervalS: 0.01, tlb: "zen5",
    tasks: [{
      name: "t", vmas: [{ name: "m", size: "16 MiB", populate: true }],
      steps: [
        ...first,
        { do: "repeat", times: 3, steps: [sweep, { do: "sleep", seconds: 0.2 }] },
        { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 3_000_000, measure: true },
      ],
    }],
    ...extra,
  }, "ahead");
}

const tool = { name: "khugesim", version: "test" };
/**
 * How long a run here waits for a thread to take its speculation on: the runs' 20 ms is a
 * speed choice that a busy machine can outlast, and these tests count the speculations.
 */
const TAKE_ON_MS = 60_000;
/** khugepaged collapsing the region while the task runs: every 100 ms, 2 PMDs a pass. */
const collapsing = [[{ do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" }], {
  tunables: { enabled: "madvise", "khugepaged/scan_sleep_millisecs": 100, "khugepaged/pages_to_scan": 1024 },
}] as const;

/** The compare's JSON on one thread, with and without simulating ahead, and the TLB accesses the run's own engine did. */
async function both(s: Scenario, records = Infinity, aheadEngine?: Engine) {
  const alone = await countingEngine();
  const plain = comparisonJson(await compareScenario(s, alone, { tlbMode: "exact" }), { tool });
  const run = await countingEngine();
  const ahead = inlineAhead(aheadEngine ?? await countingEngine(), records);
  const withAhead = comparisonJson(await compareScenario(s, run, { tlbMode: "exact", ahead }), { tool });
  return { plain, withAhead, aloneAccesses: alone.counted.accesses, runAccesses: run.counted.accesses, started: ahead.started };
}

describe("simulating ahead", () => {
  test("compareScenario() with ahead gives the same JSON and takes every chunk when nothing touches the task", async () => {
    const r = await both(scenario([]));
    expect(r.withAhead).toBe(r.plain);
    expect(r.started).toBeGreaterThan(0);
    // Every chunk came from the speculation: the run's own engine simulated none.
    expect(r.aloneAccesses).toBeGreaterThan(6_000_000);
    expect(r.runAccesses).toBe(0);
  });

  test("compareScenario() on WASM takes every chunk the TypeScript twin simulated ahead: the same counts and TLB bytes", async () => {
    const r = await both(scenario([]), Infinity, tsEngine());
    expect(r.withAhead).toBe(r.plain);
    expect(r.runAccesses).toBe(0);
  });

  test("compareScenario() with ahead gives the same JSON when a speculation stops after any number of chunks", async () => {
    for (const records of [1, 2, 3, 5]) {
      const r = await both(scenario([]), records);
      expect(r.withAhead, `${records} records`).toBe(r.plain);
      // Each speculation ended early: the run simulated the rest, and asked again.
      expect(r.runAccesses).toBeGreaterThan(0);
      expect(r.started).toBeGreaterThan(1);
    }
  });

  test("compareScenario() with ahead gives the same JSON when khugepaged collapses the region in the speculated window", async () => {
    const r = await both(scenario([...collapsing[0]], collapsing[1]));
    expect(r.withAhead).toBe(r.plain);
    const report = JSON.parse(r.plain);
    expect(JSON.stringify(report)).toMatch(/"succeeded"/);
    // The collapses changed the translations under the speculation: the run simulated chunks itself, and asked again.
    expect(r.runAccesses).toBeGreaterThan(0);
    expect(r.started).toBeGreaterThan(2);
  });

  test("compareScenario() with ahead gives the same JSON when reclaim frees MADV_FREE'd pages in the speculated window", async () => {
    const s = scenario([{ do: "madvise", vma: "m", advice: "MADV_FREE" }, { do: "sleep", seconds: 0.1 }], {
      memory: { totalBytes: 64 * 1024 * 1024, fragmentation: 0 },
      memoryPressure: [{ atS: 0.05, targetFreeBytes: 62 * 1024 * 1024 }],
    });
    const r = await both(s);
    expect(r.withAhead).toBe(r.plain);
    expect(r.runAccesses).toBeGreaterThan(0);
  });

  test("compareOnWorkers() gives one thread's JSON with speculations on threads of their own, held or dropped", async () => {
    for (const [s, held] of [[scenario([]), true], [scenario([...collapsing[0]], collapsing[1]), false]] as const) {
      const one = comparisonJson(await compareScenario(s, await makeEngine("wasm"), { tlbMode: "exact" }), { tool });
      const pool = new AheadPool("wasm", 2, 0, TAKE_ON_MS);
      try {
        // Threads that have started take a job at once: a run then waits for it.
        await pool.ready();
        const many = await compareOnWorkers(s, s.variants as VariantName[], "wasm", { tlbMode: "exact" }, undefined, pool);
        expect(comparisonJson(many, { tool })).toBe(one);
        await pool.idle();
        // Speculations ran (and in the first scenario, one ran to its end while read).
        // One speculation, shared by both variants, ran to its end while read; or several ran (how many were
        // cut before their end depends on the threads' timing, as the results do not).
        if (held) expect(pool.jobs).toEqual({ finished: 1, cut: 0 });
        else expect(pool.jobs.finished + pool.jobs.cut).toBeGreaterThan(1);
      } finally {
        await pool.close();
      }
    }
  }, 120_000);

  test("a single variant's exact run gives one thread's JSON on a worker, its phases simulated ahead beside it", async () => {
    const s = { ...scenario([]), variants: ["baseline"] } as Scenario;
    const one = comparisonJson(await compareScenario(s, await makeEngine("wasm"), { tlbMode: "exact" }), { tool });
    const pool = new AheadPool("wasm", 2, 0, TAKE_ON_MS);
    try {
      await pool.ready();
      const solo = await compareOnWorkers(s, ["baseline"], "wasm", { tlbMode: "exact" }, undefined, pool);
      expect(comparisonJson(solo, { tool })).toBe(one);
      await pool.idle();
      expect(pool.jobs).toEqual({ finished: 1, cut: 0 });
    } finally {
      await pool.close();
    }
  }, 120_000);

  test("runsOnWorkers(): several variants, or one whose exact run has phases worth simulating ahead, on a machine of two cores or more", () => {
    const seed = loadPreset("hot1-cold-hot2");
    const seedAlone = { ...seed, variants: [seed.variants[0]] } as Scenario;
    const small = { ...scenario([]), variants: ["baseline"] } as Scenario;
    expect(runsOnWorkers(seed, "sample", 2)).toBe(true);
    expect(runsOnWorkers(seedAlone, "exact", 2)).toBe(true);
    expect(runsOnWorkers(seedAlone, "sample", 2)).toBe(false);
    expect(runsOnWorkers(seedAlone, "exact", 1)).toBe(false);
    expect(runsOnWorkers(seed, "exact", 1)).toBe(false);
    // Too short to be worth a thread: its exact run stays on this one.
    expect(runsOnWorkers(small, "exact", 2)).toBe(false);
  });
});
