import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { compareScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { lineErrorBand } from "../host/tlb/cost_band.ts";
import { calibrate, type CalibrationPoint, calibrationPoints, fitParts } from "../host/tlb/cost_calibration.ts";
import { type CostInputs, missFraction, pageTableBytes, partsLine, partsTicks, refCycles } from "../host/tlb/cost_parts.ts";
import { ZEN5_CACHES, ZEN5_PARTS } from "../host/tlb/cost_presets.ts";
import { calibrationCheck, ticksPerAccess } from "../host/tlb/cost_model.ts";
import { runScenario } from "../host/run/mod.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";

const MIB = 1 << 20;
const BARE = virtualizationOf("none");

/** A point of `group` with the given measured ticks; only the fields the fit reads matter. */
function point(group: string, inFit: boolean, measuredTicks: number): CalibrationPoint {
  return {
    label: group, kind: "local-random", group, inFit, pattern: "random", bufferBytes: 128 * MIB, dataPart: true, hugeFraction: 0, virtualization: BARE,
    caches: ZEN5_CACHES, measuredTicks,
  };
}

describe("pageTableBytes() and refCycles()", () => {
  it("sizes a 128 MiB buffer's PTEs at 256 KiB, its PMD entries at 512 B, and adds the host's under nested paging", () => {
    expect(pageTableBytes(128 * MIB, 0, BARE)).toBe(256 * 1024);
    expect(pageTableBytes(128 * MIB, 1, BARE)).toBe(512);
    expect(pageTableBytes(128 * MIB, 1, virtualizationOf("nested-4k"))).toBe(512 + 256 * 1024);
    expect(pageTableBytes(128 * MIB, 1, virtualizationOf("nested-1g"))).toBe(512 + 1);
  });

  it("puts page tables in the L2, the L3 or DRAM by their size against half of each cache", () => {
    expect(refCycles(ZEN5_CACHES, 512 * 1024)).toBe(ZEN5_CACHES.l2Cycles);
    expect(refCycles(ZEN5_CACHES, 512 * 1024 + 1)).toBe(ZEN5_CACHES.l3Cycles);
    expect(refCycles(ZEN5_CACHES, 16 * MIB + 1)).toBe(ZEN5_CACHES.dramCycles);
  });
});

describe("fitParts()", () => {
  const inputs = fc.record({
    walksPerAccess: fc.double({ min: 0, max: 1, noNaN: true }),
    refsPerWalk: fc.double({ min: 1, max: 5, noNaN: true }),
    refCycles: fc.constantFrom(14, 50, 430),
    missFraction: fc.constant(0),
  });

  it("recovers the bases and mlp of points the model made, from any points that determine them", () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { minLength: 1, maxLength: 3 }),
      fc.double({ min: 1, max: 30, noNaN: true }),
      fc.array(inputs, { minLength: 8, maxLength: 8 }),
      (bases, mlp, xs) => {
        // Groups of one machine ("m/g0", "m/g1", …) share its mlp.
        const params = { base: Object.fromEntries(bases.map((b, i) => [`m/g${i}`, b])), mlp: { m: mlp }, missTicks: 0 };
        const groups = xs.map((_, i) => `m/g${i % bases.length}`);
        const points = xs.map((x, i) => point(groups[i], i % 2 === 0, partsTicks(params, groups[i], x)));
        // The walk cycles of fitted points must differ within some group for mlp to be determined.
        const spread = Object.keys(params.base).map((g) => {
          const cycles = xs.filter((_, i) => i % 2 === 0 && groups[i] === g).map((x) => x.walksPerAccess * x.refsPerWalk * x.refCycles);
          return cycles.length === 0 ? -1 : Math.max(...cycles) - Math.min(...cycles);
        });
        fc.pre(spread.every((s) => s >= 0) && spread.some((s) => s > 1));
        const fit = fitParts(points, xs);
        expect(fit.mlp.m).toBeCloseTo(mlp, 6);
        for (const [g, b] of Object.entries(params.base)) expect(fit.base[g]).toBeCloseTo(b, 6);
      },
    ), { numRuns: 200 });
  });

  it("holds walks at no cost where a machine's points with cache misses give them a negative one, and refits the rest", () => {
    // Two groups' worth of misses explain the ticks; the walks would come out negative.
    const xs: CostInputs[] = [[0.9, 0.75], [0.1, 0.9375], [0, 0]].map(([walksPerAccess, miss]) => ({
      walksPerAccess, refsPerWalk: 2, refCycles: 14, missFraction: miss,
    }));
    const fit = fitParts([12, 19, 2].map((t) => point("local/random", true, t)), xs);
    expect(fit.mlp.local).toBe(Infinity);
    expect(fit.missTicks).toBeGreaterThan(0);
    // Without misses nothing can hide the walks: a negative walk cost is refused.
  });

  it("holds at zero a base the points would put below it, and refits the others", () => {
    // Walk cycles 0, 100 for group a and 100, 200 for group b: alone, b's line crosses zero at -2 ticks.
    const xs: CostInputs[] = [[0, 1], [1, 1], [1, 1], [1, 2]].map(([walksPerAccess, refsPerWalk]) => ({
      walksPerAccess, refsPerWalk, refCycles: 100, missFraction: 0,
    }));
    const fit = fitParts([point("m/a", true, 10), point("m/a", true, 20), point("m/b", true, 8), point("m/b", true, 18)], xs);
    expect(fit.base["m/b"]).toBe(0);
    expect(fit.base["m/a"]).toBeGreaterThan(0);
    expect(fit.mlp.m).toBeGreaterThan(0);
  });

  it("refuses points on which walks make accesses faster", () => {
    const xs: CostInputs[] = [0.1, 0.9].map((walksPerAccess) => ({ walksPerAccess, refsPerWalk: 1, refCycles: 14, missFraction: 0 }));
    expect(() => fitParts([point("g", true, 5), point("g", true, 2)], xs)).toThrow(/walk cost/);
  });

  it("recovers missTicks from points whose buffers miss the last-level cache in different shares", () => {
    fc.assert(fc.property(
      fc.double({ min: 0, max: 20, noNaN: true }), fc.double({ min: 1, max: 30, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }),
      (base, mlp, missTicks) => {
        const params = { base: { g: base }, mlp: { g: mlp }, missTicks };
        const xs: CostInputs[] = [[0.9, 0], [0.1, 0.75], [0.5, 0.9375]].map(([walksPerAccess, miss]) => ({
          walksPerAccess, refsPerWalk: 2, refCycles: 14, missFraction: miss,
        }));
        const fit = fitParts(xs.map((x) => point("g", true, partsTicks(params, "g", x))), xs);
        expect(fit.missTicks).toBeCloseTo(missTicks, 6);
        expect(fit.mlp.g).toBeCloseTo(mlp, 6);
      },
    ), { numRuns: 100 });
  });
});

describe("missFraction()", () => {
  it("is 0 inside the cache, 1 - cache/buffer for random loads past it, and 1 for a sweep past it", () => {
    expect(missFraction("random", 32 * MIB, 32 * MIB)).toBe(0);
    expect(missFraction("stride", 8 * MIB, 32 * MIB)).toBe(0);
    expect(missFraction("random", 128 * MIB, 32 * MIB)).toBe(0.75);
    expect(missFraction("stride", 128 * MIB, 32 * MIB)).toBe(1);
  });
});

describe("calibrate() on the stated points", () => {
  const local = { random: { "4k": 28, thp: 24 }, stride: { "4k": 42, thp: 35 }, randomThp8MiB: 3, randomThp512MiB: 30 };
  const run = (host: string) => calibrate(calibrationPoints(local, virtualizationOf(host)), createTlbRef);

  it("keeps at least one point of each kind out of the fit and reports it against its measurement", () => {
    const c = run("nested-4k");
    const kinds = new Set(c.rows.map((r) => r.kind));
    for (const kind of kinds) {
      expect(c.rows.filter((r) => r.kind === kind && r.inFit).length).toBeGreaterThanOrEqual(1);
      expect(c.rows.filter((r) => r.kind === kind && !r.inFit).length).toBeGreaterThanOrEqual(1);
    }
    for (const r of c.rows) expect(r.error).toBeCloseTo(r.predictedTicks / r.measuredTicks - 1, 12);
    expect(c.heldOutError).toBe(Math.max(...c.rows.filter((r) => !r.inFit).map((r) => Math.abs(r.error))));
  });

  it("fits on the paper's rows the ZEN5_PARTS constants runs use, and states zen5-parts' band from its held-out rows", () => {
    const c = run("nested-2m");
    expect(c.params.mlp.paper).toBeCloseTo(ZEN5_PARTS.mlp, 9);
    expect(c.params.base["paper/random"]).toBeCloseTo(ZEN5_PARTS.base, 9);
    const paperHeldOut = c.rows.filter((r) => r.kind.startsWith("paper") && !r.inFit).map((r) => Math.abs(r.error));
    expect(lineErrorBand("zen5-parts").cycles).toBeCloseTo(Math.max(...paperHeldOut), 9);
  });

  it("predicts no gain from guest THPs over 4 KiB host pages, and a gain over 2 MiB host pages", () => {
    const fits = { "nested-4k": run("nested-4k"), "nested-2m": run("nested-2m") };
    const thp = (host: keyof typeof fits, label: string) => fits[host].rows.find((r) => r.label === label)!;
    for (const pattern of ["random", "stride"]) {
      const splintered = thp("nested-4k", `local-${pattern} thp`);
      const small = thp("nested-4k", `local-${pattern} 4k`);
      expect(splintered.inputs.walksPerAccess).toBeCloseTo(small.inputs.walksPerAccess, 2);
      expect(thp("nested-2m", `local-${pattern} thp`).predictedTicks).toBeLessThan(splintered.predictedTicks);
    }
  });
});

describe("costModel zen5-parts in a run", () => {
  async function measured(virtualization: string) {
    const scenario = validateScenario({
      name: "parts", variants: ["baseline"], tunables: { enabled: "never" }, costModel: "zen5-parts", machine: { virtualization },
      tasks: [{
        name: "t", vmas: [{ name: "m", size: "64 MiB", populate: true }],
        steps: [{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 100_000 }],
      }],
    }, "parts");
    const { memory, core } = await createCore({ maxBytes: 512 * MIB });
    return (await runScenario(scenario, wasmEngine(memory, core), { trace: false })).tasks[0].perf!;
  }

  it("prices a walk under nested paging at twice the loads of bare metal's", async () => {
    const bare = await measured("none");
    const guest = await measured("nested-4k");
    expect(bare.cyclesPerAccess).toBeCloseTo(ticksPerAccess(partsLine(virtualizationOf("none")), bare.walksPerAccess), 9);
    expect(guest.cyclesPerAccess).toBeCloseTo(ticksPerAccess(partsLine(virtualizationOf("nested-4k")), guest.walksPerAccess), 9);
    expect(guest.cyclesPerAccess - ZEN5_PARTS.base).toBeCloseTo(2 * (bare.cyclesPerAccess - ZEN5_PARTS.base), 9);
  });
});

describe("lineErrorBand()", () => {
  it("is the bare-metal line's largest cycles error on the guest rows, as calibrationCheck() finds it", () => {
    const check = calibrationCheck();
    expect(lineErrorBand("bare-metal").cycles).toBeCloseTo(Math.max(...check.rows.map((r) => Math.abs(r.error))), 12);
    expect(lineErrorBand("kvm-guest").cycles).toBeGreaterThan(0);
  });

  it("stands beside cycles per access and throughput in compare's table", async () => {
    const scenario = validateScenario({
      name: "band", variants: ["baseline"], tunables: { enabled: "never" },
      tasks: [{
        name: "t", vmas: [{ name: "m", size: "8 MiB", populate: true }],
        steps: [{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 10_000 }],
      }],
    }, "band");
    const { memory, core } = await createCore({ maxBytes: 256 * MIB });
    const text = formatComparison(await compareScenario(scenario, wasmEngine(memory, core), { trace: false }));
    const band = lineErrorBand("bare-metal");
    expect(text).toContain(`cycles per access (±${Math.ceil(100 * band.cycles)} %)`);
    expect(text).toContain(`throughput (±${Math.ceil(100 * band.throughput)} %)`);
  });
});
