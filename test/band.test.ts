/** seedBand(): the same variant over the timer grid's phase and the collapse cost, min to max. */
import { expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { seedBand } from "../host/run/band.ts";
import { wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";

test("seedBand() spans the grid phase: a measurement that starts inside the wheel's granule sees 0 or 4 PMDs still 4 KiB", async () => {
  // 12 PMDs: wake-up 1 (registration, t = 0) collapses 8, wake-up 2 the last 4. At HZ=250
  // wake-up 2 lies on the 64-jiffy (256 ms) grid after jiffy J0 + 2500, so between 10.0 s
  // and 10.256 s depending on the phase; the measurement starts at 10.1 s.
  const s = validateScenario({
    name: "edge", tunables: { enabled: "madvise" }, variants: ["lazyfree-skip"], durationS: 12,
    tasks: [{
      name: "t", vmas: [{ name: "m", size: "24 MiB", populate: true }],
      steps: [
        { do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" },
        { do: "sleep", seconds: 10.1 },
        { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 100_000, measure: true },
      ],
    }],
  }, "edge");
  const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
  const band = await seedBand(s, wasmEngine(memory, core), "lazyfree-skip", 8);
  expect(band.runs).toBe(16);
  expect(band.tasks.t.smallPmdsAtMeasure).toEqual([0, 4]);
  const [lo, hi] = band.tasks.t.dtlbLoadMisses;
  expect(hi).toBeGreaterThan(lo);
});
