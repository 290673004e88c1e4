import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { compareScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { lineErrorBand } from "../host/tlb/cost_band.ts";
import { fitParts } from "../host/tlb/cost_fit.ts";
import { calibrate, type CalibrationPoint, calibrationPoints } from "../host/tlb/cost_calibration.ts";
import { localOf } from "./local_ticks.ts";
import { type CostInputs, dataCycles, levelShares, loopTicks, pageTableBytes, partsLine, partsTicks, refCycles } from "../host/tlb/cost_parts.ts";
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
    dataCycles: fc.constant(0),
    pattern: fc.constant("random" as const),
  });

  it("recovers the bases and mlp of points the model made, from any points that determine them", () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0.5, max: 50, noNaN: true }), { minLength: 1, maxLength: 3 }),
      fc.double({ min: 1, max: 30, noNaN: true }),
      fc.array(inputs, { minLength: 8, maxLength: 8 }),
      (bases, mlp, xs) => {
        // Groups of one machine ("m/g0", "m/g1", …) share its mlp.
        const params = { base: Object.fromEntries(bases.map((b, i) => [`m/g${i}`, b])), mlp: { m: mlp }, dataMlp: Infinity };
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

  it("holds walks at no cost where a machine's points with data loads give them a negative one, and refits the rest", () => {
    // The data loads explain the ticks; the walks would come out negative.
    const xs: CostInputs[] = [[0.9, 0.75], [0.1, 0.9375], [0, 0]].map(([walksPerAccess, miss]) => ({
      walksPerAccess, refsPerWalk: 2, refCycles: 14, dataCycles: 177 * miss, pattern: "random",
    }));
    const fit = fitParts([12, 19, 2].map((t) => point("local/random", true, t)), xs);
    expect(fit.mlp.local).toBe(Infinity);
    expect(fit.dataMlp).toBeGreaterThan(0);
    expect(fit.dataMlp).toBeLessThan(Infinity);
    // Without misses nothing can hide the walks: a negative walk cost is refused.
  });

  it("holds at zero a base the points would put below it, and refits the others", () => {
    // Walk cycles 0, 100 for group a and 100, 200 for group b: alone, b's line crosses zero at -2 ticks.
    const xs: CostInputs[] = [[0, 1], [1, 1], [1, 1], [1, 2]].map(([walksPerAccess, refsPerWalk]) => ({
      walksPerAccess, refsPerWalk, refCycles: 100, dataCycles: 0, pattern: "random",
    }));
    const fit = fitParts([point("m/a", true, 10), point("m/a", true, 20), point("m/b", true, 8), point("m/b", true, 18)], xs);
    expect(fit.base["m/b"]).toBe(0);
    expect(fit.base["m/a"]).toBeGreaterThan(0);
    expect(fit.mlp.m).toBeGreaterThan(0);
  });

  it("adds a stride's data part to its base: its read-modify-writes wait on each other", () => {
    const xs: CostInputs[] = [6, 14].map((dataCycles) => ({ walksPerAccess: 0, refsPerWalk: 1, refCycles: 14, dataCycles, pattern: "stride" }));
    const fit = fitParts([27, 29].map((t) => point("m/stride", true, t)), xs);
    expect(fit.base["m/stride"]).toBeCloseTo(25.5, 9);
    expect(fit.dataMlp).toBeCloseTo(4, 9);
  });

  it("refuses points on which walks make accesses faster", () => {
    const xs: CostInputs[] = [0.1, 0.9].map((walksPerAccess) => ({ walksPerAccess, refsPerWalk: 1, refCycles: 14, dataCycles: 0, pattern: "random" }));
    expect(() => fitParts([point("g", true, 5), point("g", true, 2)], xs)).toThrow(/walk cost/);
  });

  it("recovers the base, dataMlp and mlp of random loads the model made, where their data and the loop overlap", () => {
    fc.assert(fc.property(
      fc.double({ min: 0.3, max: 3, noNaN: true }), fc.double({ min: 1, max: 30, noNaN: true }), fc.double({ min: 1, max: 50, noNaN: true }),
      (base, mlp, dataMlp) => {
        const params = { base: { "m/random": base }, mlp: { m: mlp }, dataMlp };
        // An L1 point (no data loads, no walk), then points from the L2 to DRAM with walks.
        const xs: CostInputs[] = [[0, 0], [0, 6], [0.9, 14], [0.1, 140], [0.5, 170]].map(([walksPerAccess, dataCycles]) => ({
          walksPerAccess, refsPerWalk: 2, refCycles: 14, dataCycles, pattern: "random",
        }));
        const fit = fitParts(xs.map((x) => point("m/random", true, partsTicks(params, "m/random", x))), xs);
        expect(fit.base["m/random"] / base - 1).toBeCloseTo(0, 4);
        expect(fit.dataMlp / dataMlp - 1).toBeCloseTo(0, 4);
        expect(fit.mlp.m / mlp - 1).toBeCloseTo(0, 4);
      },
    ), { numRuns: 100 });
  });
});

describe("loopTicks()", () => {
  it("overlaps random loads with the loop's own work as the root of their squares' sum, and adds a stride's", () => {
    expect(loopTicks("random", 3, 4)).toBeCloseTo(5, 12);
    expect(loopTicks("random", 0.72, 0)).toBe(0.72);
    expect(loopTicks("stride", 3, 4)).toBe(7);
  });
});

describe("levelShares() and dataCycles()", () => {
  const KIB = 1024;
  // Zen 5's sizes (48 KiB L1, 1 MiB L2, 32 MiB L3) with round latencies.
  const caches = { ...ZEN5_CACHES, l2Cycles: 6, l3Cycles: 14, dramCycles: 130 };

  it("spreads random loads over the levels by their capacities, the L3 holding the L2's victims", () => {
    expect(levelShares("random", 32 * KIB, caches)).toEqual({ l1: 1, l2: 0, l3: 0, dram: 0 });
    expect(levelShares("random", 512 * KIB, caches)).toEqual({ l1: 48 / 512, l2: 1 - 48 / 512, l3: 0, dram: 0 });
    // 8 MiB: 48 KiB in the L1, 1 MiB in the L2 (the L1's lines among them), the rest in the L3.
    expect(levelShares("random", 8 * MIB, caches)).toEqual({ l1: 48 / 8192, l2: 1 / 8 - 48 / 8192, l3: 7 / 8, dram: 0 });
    // 66 MiB with 32 MiB of L3: L2 and L3 hold 33 MiB, half of it.
    const s = levelShares("random", 66 * MIB, caches);
    expect(s.l3).toBeCloseTo(32 / 66, 12);
    expect(s.dram).toBeCloseTo(0.5, 12);
    // With 12 MiB of L3 found, the same buffer misses it more.
    expect(levelShares("random", 66 * MIB, caches, 12 * MIB).dram).toBeCloseTo(1 - 13 / 66, 12);
  });

  it("gives a page stride's lines (one per 4 KiB, page-aligned) 1/64 of the L1's and L2's sets and its share of the L3's", () => {
    // 8 MiB: 128 KiB of lines; the L1 holds 768 bytes of them (one set of 12 ways), the L2 16 KiB (16 sets of 16), the L3 the rest.
    expect(levelShares("stride", 8 * MIB, caches)).toEqual({ l1: 3 / 512, l2: 1 / 8 - 3 / 512, l3: 7 / 8, dram: 0 });
    // 512 MiB: 8 MiB of lines beside 2 MiB of page tables, with 9 MiB of L3 of which a quarter of the sets take the lines:
    // the lines compete with a quarter of the tables' lines there.
    const s = levelShares("stride", 512 * MIB, caches, 9 * MIB, { tableBytes: 2 * MIB, l3SetShare: 1 / 4 });
    expect(s.l1).toBeCloseTo(768 / (8 * MIB + 32 * KIB), 15);
    expect(s.l2).toBeCloseTo((16 * KIB - 768) / (8 * MIB + 32 * KIB), 15);
    expect(s.l3 + s.l2 + s.l1).toBeCloseTo((16 * KIB + 2.25 * MIB) / (8.5 * MIB), 15);
    expect(s.dram).toBeCloseTo(1 - (16 * KIB + 2.25 * MIB) / (8.5 * MIB), 15);
    // With every set open the same sweep almost fits (9 MiB + 16 KiB of 10 MiB), its page tables pushing a tenth of it out.
    expect(levelShares("stride", 512 * MIB, caches, 9 * MIB, { tableBytes: 2 * MIB, l3SetShare: 1 }).dram).toBeCloseTo(1 - (9 * MIB + 16 * KIB) / (10 * MIB), 15);
    // Random loads take no share and no tables: a buffer's page tables do not change them.
    expect(levelShares("random", 512 * MIB, caches, 9 * MIB, { tableBytes: 2 * MIB, l3SetShare: 1 / 4 })).toEqual(levelShares("random", 512 * MIB, caches, 9 * MIB));
  });

  it("prices each level's share at its latency, an L1 hit at none", () => {
    expect(dataCycles("random", 32 * KIB, caches)).toBe(0);
    expect(dataCycles("random", 8 * MIB, caches)).toBeCloseTo((1 / 8 - 48 / 8192) * 6 + (7 / 8) * 14, 12);
    expect(dataCycles("random", 132 * MIB, caches, 32 * MIB)).toBeCloseTo(((1 - 48 / 1024) / 132) * 6 + (32 / 132) * 14 + (99 / 132) * 130, 9);
    // The stride over 128 MiB: 2 MiB of lines, 16 KiB of them in the L2 (768 bytes in the L1), the rest in the L3.
    expect(dataCycles("stride", 128 * MIB, caches)).toBeCloseTo((16 * KIB - 768) / (2 * MIB) * 6 + (1 - 16 * KIB / (2 * MIB)) * 14, 12);
  });
});

describe("calibrate() on the stated points", () => {
  // Phase B: 1.5 ticks inside the L3, rising past it; the stride 30 ticks; 4 KiB pages a little slower.
  const local = localOf((pattern, pages, mib) =>
    (pattern === "stride" ? 30 : mib <= 8 ? 1.5 : 18 - 16 / Math.sqrt(mib / 16)) * (pages === "4k" ? 1.05 : 1));
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
  }, 120_000);

  it("fits on the paper's rows the ZEN5_PARTS constants runs use, and states zen5-parts' band from its held-out rows", () => {
    const c = run("nested-2m");
    expect(c.params.mlp.paper).toBeCloseTo(ZEN5_PARTS.mlp, 9);
    expect(c.params.base["paper/random"]).toBeCloseTo(ZEN5_PARTS.base, 9);
    const paperHeldOut = c.rows.filter((r) => r.kind.startsWith("paper") && !r.inFit).map((r) => Math.abs(r.error));
    expect(lineErrorBand("zen5-parts").cycles).toBeCloseTo(Math.max(...paperHeldOut), 9);
  }, 120_000);

  it("walks as much over guest THPs as over 4 KiB pages on 4 KiB host pages, and not at all on 2 MiB ones", () => {
    const fits = { "nested-4k": run("nested-4k"), "nested-2m": run("nested-2m") };
    const row = (host: keyof typeof fits, label: string) => fits[host].rows.find((r) => r.label === label)!;
    for (const pattern of ["random", "stride"]) {
      const splintered = row("nested-4k", `local-${pattern} thp`);
      const small = row("nested-4k", `local-${pattern} 4k`);
      expect(splintered.inputs.walksPerAccess).toBeCloseTo(small.inputs.walksPerAccess, 2);
      // A stride's sweep over guest THPs has fewer page-table lines beside its data (guest PMDs, not PTEs).
      if (pattern === "random") expect(splintered.predictedTicks).toBeCloseTo(small.predictedTicks, 9);
      else expect(splintered.inputs.dataCycles).toBeLessThanOrEqual(small.inputs.dataCycles);
      expect(row("nested-2m", `local-${pattern} thp`).inputs.walksPerAccess).toBe(0);
      expect(row("nested-2m", `local-${pattern} 4k`).inputs.walksPerAccess).toBeGreaterThan(0.8);
    }
  }, 120_000);

  it("prices an L1-resident buffer at the random base, and a buffer past the L3 at its data part over dataMlp, overlapped with the base", () => {
    const c = run("nested-4k");
    const row = (label: string) => c.rows.find((r) => r.label === label)!;
    const l1 = row("local-random 4k 32 KiB");
    expect(l1.inputs.dataCycles).toBe(0);
    expect(l1.predictedTicks).toBe(c.params.base["local/random"]);
    const big = row("local-random thp 512 MiB");
    const walks = big.inputs.walksPerAccess * big.inputs.refsPerWalk * big.inputs.refCycles / c.params.mlp.local;
    expect(big.predictedTicks).toBeCloseTo(Math.hypot(c.params.base["local/random"], big.inputs.dataCycles / c.params.dataMlp) + walks, 9);
  }, 120_000);
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
