/** The work a progress bar follows: accesses the TLB model simulates, placed on the simulated timeline. */
import { describe, expect, test } from "vitest";
import { runWork } from "../host/run/run_work.ts";
import { loadPreset, validateScenario } from "../host/scenario/mod.ts";
import { generateMap } from "../host/synth/generate.ts";
import { synthKernel } from "./synth_fixture.ts";

describe("runWork()", () => {
  const seed = loadPreset("hot1-cold-hot2");

  test("starts at 0, never goes back, and reaches its total at the scenario's end", () => {
    for (const exact of [false, true]) {
      const w = runWork(seed, exact);
      let prev = w.doneAt(0);
      expect(prev).toBe(0);
      for (let t = 0; t <= 200; t += 0.5) {
        const d = w.doneAt(t);
        expect(d).toBeGreaterThanOrEqual(prev);
        prev = d;
      }
      expect(w.doneAt(1e6)).toBe(w.total);
    }
  });

  test("--exact: the seed's memsets are a page-granular sweep, so its random loads at the end are most of the work", () => {
    // 150 passes over 32,768 pages by two tasks against 2 × 327,680,000 loads simulated one by one.
    const w = runWork(seed, true);
    expect(w.doneAt(150) / w.total).toBeLessThan(0.05);
  });

  test("sampling: a long interval is a warm-up and a sample, so the 150 s of memsets are most of the work", () => {
    const w = runWork(seed, false);
    expect(w.doneAt(150) / w.total).toBeGreaterThan(0.5);
  });

  test("a run of sleeps moves with simulated time", () => {
    const s = validateScenario({ name: "naps", tasks: [{ name: "t", steps: [{ do: "sleep", seconds: 100 }] }] }, "naps");
    const w = runWork(s, false);
    expect(w.total).toBeGreaterThan(0);
    expect(w.doneAt(25) / w.total).toBeCloseTo(0.25, 6);
  });
});

test("generateMap() reports the PMDs it has written, up to the map's total", async () => {
  const k = await synthKernel(64 * 1024 * 1024);
  const calls: Array<[number, number]> = [];
  const map = generateMap(k, { size: "512GiB", tasks: 2 }, { onProgress: (done, total) => calls.push([done, total]) });
  expect(calls.length).toBeGreaterThan(2);
  expect(calls.at(-1)).toEqual([map.stats.pmds, map.stats.pmds]);
  for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThan(calls[i - 1][0]);
});
