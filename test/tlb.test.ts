import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import {
  AccessStream, accessSeconds, type AccessPattern, BARE_METAL, calibrationCheck, estimateTlb,
  GOLDEN_COVE, perfDtlbLoadMisses, SEED_ROWS, TaskTlb, throughput, ticksPerAccess, type TlbCore, type TlbPreset,
  tlbPreset, ZEN5,
} from "../host/tlb/mod.ts";
import { DESC_INDEX_SHIFT, STREAM_P0, TLB_L1_4K } from "../host/tlb/tlb_layout.ts";
import { homeSlot } from "../host/tlb/wide_index.ts";
import { createTlbCores } from "./tlb_fixture.ts";

const PAGE = 4096;
const PMD_BYTES = 2 << 20;
/** A 4 KiB-mapped PMD: any non-huge entry (the value is a PTE table index). */
const TABLE = 1;

let memory: CoreMemory;
const cores: Record<string, TlbCore> = {};

beforeAll(async () => {
  const created = await createTlbCores();
  memory = created.memory;
  cores.wasm = created.wasm;
  cores.ts = created.ts;
});

/** A PMD directory of `entries.length` entries: true for a 2 MiB page. */
function directory(entries: boolean[]): number {
  const dir = memory.alloc(entries.length * 4, 64);
  entries.forEach((huge, i) => { memory.u32[(dir >>> 2) + i] = huge ? PMD.HUGE : TABLE; });
  return dir;
}

function region(dir: number, pages: number, firstPmd = 0, offset = 0) {
  return { dir, firstPmd, offset, length: pages * PAGE };
}

describe.each(["wasm", "ts"])("TaskTlb.run() on the %s core", (name) => {
  const tlbOf = (preset: TlbPreset) => new TaskTlb(memory, cores[name], preset);
  const sweep = (dir: number, pages: number, stride = PAGE) =>
    new AccessStream(memory, region(dir, pages), { kind: "sequential", stride }, 1);
  /** One access to 4 KiB page `page` of the map at `dir`. */
  const touchPage = (tlb: TaskTlb, dir: number, page: number) => {
    const one = region(dir, 1, Math.floor(page / 512), (page % 512) * PAGE);
    return tlb.run(new AccessStream(memory, one, { kind: "sequential", stride: PAGE }, 1), 1);
  };

  it("misses on every access of a 4 KiB sweep larger than the L2 (cyclic LRU keeps nothing)", () => {
    const dir = directory(Array(16).fill(false));
    const tlb = tlbOf(ZEN5);
    // 8192 pages put 32 pages in each of the 256 16-way L2 sets.
    const c = tlb.run(sweep(dir, 8192), 2 * 8192);
    expect(c).toMatchObject({ accesses: 16384, l1Misses4k: 16384, l2Hits: 0, walks: 16384, walksOnLoads: 16384 });
  });

  it("walks only on compulsory misses of a 4 KiB sweep within the L2", () => {
    const dir = directory(Array(4).fill(false));
    const tlb = tlbOf(ZEN5);
    // 2048 pages: 8 per L2 set, but 2048 > 96 L1 entries, so every access misses the L1.
    const c = tlb.run(sweep(dir, 2048), 3 * 2048);
    expect(c).toMatchObject({ accesses: 6144, l1Misses4k: 6144, l2Hits: 4096, walks: 2048 });
  });

  it("misses the L1 only once per page of a sweep within the L1", () => {
    const dir = directory([false]);
    const c = tlbOf(ZEN5).run(sweep(dir, 64), 10 * 64);
    expect(c).toMatchObject({ l1Misses4k: 64, l2Hits: 0, walks: 64 });
  });

  it("counts page-walk cache hits in walk references: 4, then 2 per new PMD, then 1", () => {
    const dir = directory(Array(16).fill(false));
    const tlb = tlbOf(ZEN5);
    // First sweep over 16 PMDs: PGD/PUD/PMD all miss once (4 refs), each later PMD
    // misses only the PMD cache (2 refs), every other walk hits it (1 ref).
    const first = tlb.run(sweep(dir, 8192, PAGE), 8192);
    expect(first.walkRefs).toBe(4 + 15 * 2 + (8192 - 16));
    const second = tlb.run(sweep(dir, 8192, PAGE), 8192);
    expect(second.walkRefs).toBe(8192);
    expect(first.walkCycles).toBe(8192 * ZEN5.walkBaseCycles + first.walkRefs * ZEN5.walkRefCycles);
  });

  it("touches each page once per stride-64 sweep: one walk per page", () => {
    const dir = directory(Array(16).fill(false));
    const c = tlbOf(ZEN5).run(sweep(dir, 8192, 64), 8192 * 64);
    expect(c).toMatchObject({ l1Misses4k: 8192, walks: 8192 });
  });

  it("walks once per 2 MiB page of a sweep over huge PMDs (Zen 5: unified 96-entry L1)", () => {
    const dir = directory(Array(64).fill(true));
    const tlb = tlbOf(ZEN5);
    const c = tlb.run(sweep(dir, 64 * 512), 2 * 64 * 512);
    expect(c).toMatchObject({ l1Misses4k: 0, l1Misses2m: 64, l2Hits: 0, walks: 64 });
    // A 2 MiB walk ends at the PMD: 3 refs, then 1 once the PUD cache holds the PUD.
    expect(c.walkRefs).toBe(3 + 63);
  });

  it("refills a 4-way 2 MiB L1 from the STLB when 64 PMDs cycle through its 8 sets (Golden Cove)", () => {
    const dir = directory(Array(64).fill(true));
    const c = tlbOf(GOLDEN_COVE).run(sweep(dir, 64 * 512), 2 * 64 * 512);
    expect(c).toMatchObject({ l1Misses2m: 128, l2Hits: 64, walks: 64 });
  });

  it("separates 2 MiB and 4 KiB PMDs of a mixed map", () => {
    const dir = directory([true, false, true, false, true, false, true, false]);
    const tlb = tlbOf(ZEN5);
    const s = sweep(dir, 8 * 512);
    const first = tlb.run(s, 4096);
    expect(first).toMatchObject({ l1Misses2m: 4, l1Misses4k: 2048, l2Hits: 0, walks: 2052 });
    // Everything fits the L2 (at most 9 tags per set); the L1 lost the start of the sweep.
    const second = tlb.run(s, 4096);
    expect(second).toMatchObject({ l1Misses2m: 4, l1Misses4k: 2048, l2Hits: 2052, walks: 0 });
  });

  it("misses a 6-way L1 set on every access when 7 pages cycle through it, never with 6", () => {
    const dir = directory([false]);
    // Golden Cove's 4 KiB L1 has 16 sets: pages 16 apart share a set (and not an L2 set).
    const cycle = (pages: number) => new AccessStream(memory, region(dir, pages * 16), { kind: "sequential", stride: 16 * PAGE }, 1);
    expect(tlbOf(GOLDEN_COVE).run(cycle(7), 70)).toMatchObject({ l1Misses4k: 70, l2Hits: 63, walks: 7 });
    expect(tlbOf(GOLDEN_COVE).run(cycle(6), 60)).toMatchObject({ l1Misses4k: 6, walks: 6 });
  });

  it.each([["6-way set", GOLDEN_COVE, 16], ["hashed 96-way array", ZEN5, 1]] as const)(
    "replaces the least recently used way, not the oldest, in a %s",
    (_label, preset, step) => {
      const dir = directory([false]);
      const tlb = tlbOf(preset);
      const ways = preset.l1.ways;
      const touch = (i: number) => touchPage(tlb, dir, i * step);
      for (let i = 0; i < ways; i++) touch(i); // fill the set: 0 is the oldest
      expect(touch(0).l1Misses4k).toBe(0); // 0 becomes the most recent
      expect(touch(ways).l1Misses4k).toBe(1); // evicts 1, the least recently used
      expect(touch(0).l1Misses4k).toBe(0); // FIFO would have evicted 0
      expect(touch(1).l1Misses4k).toBe(1);
    },
  );

  it.each([ZEN5, GOLDEN_COVE])("invalidatePages() drops the pages' 4 KiB entries ($name): they walk again, the rest hit", (preset) => {
    const dir = directory([false]);
    const tlb = tlbOf(preset);
    const s = sweep(dir, 16);
    tlb.run(s, 16);
    expect(tlb.run(s, 16)).toMatchObject({ l1Misses4k: 0, walks: 0 });
    tlb.invalidatePages([3, 7, 11]);
    // The page-walk caches went too: the first walk reads all four levels, the next two only the PTE.
    expect(tlb.run(s, 16)).toMatchObject({ l1Misses4k: 3, l2Hits: 0, walks: 3, walkRefs: 4 + 1 + 1 });
  });

  it.each([ZEN5, GOLDEN_COVE])("invalidatePages() drops the 2 MiB entry holding a page ($name)", (preset) => {
    const dir = directory([true, false]);
    const tlb = tlbOf(preset);
    const s = sweep(dir, 512);
    expect(tlb.run(s, 512)).toMatchObject({ l1Misses2m: 1, walks: 1 });
    tlb.invalidatePages([600]); // a 4 KiB page of the next PMD: nothing of this one goes
    expect(tlb.run(s, 512)).toMatchObject({ l1Misses2m: 0, walks: 0 });
    tlb.invalidatePages([100]);
    expect(tlb.run(s, 512)).toMatchObject({ l1Misses2m: 1, l2Hits: 0, walks: 1 });
  });

  it.each([["6-way set", GOLDEN_COVE, 16], ["hashed 96-way array", ZEN5, 1]] as const)(
    "refills an invalidated way of a %s before evicting a valid one",
    (_label, preset, step) => {
      const dir = directory([false]);
      const tlb = tlbOf(preset);
      const ways = preset.l1.ways;
      const touch = (i: number) => touchPage(tlb, dir, i * step);
      for (let i = 0; i < ways; i++) touch(i);
      tlb.invalidatePages([2 * step]);
      expect(touch(ways).l1Misses4k).toBe(1); // takes the empty way
      for (let i = 0; i < ways; i++) if (i !== 2) expect(touch(i).l1Misses4k).toBe(0);
    },
  );

  it.each([ZEN5, GOLDEN_COVE])("keeps exact LRU through any mix of touches and invalidations ($name)", (preset) => {
    const ways = preset.l1.ways;
    const sets = preset.l1.entries / ways;
    // Twice the L1's entries, from pages whose home slots in Zen 5's L1 hash index crowd
    // into its first 64: long probe runs, so deletions must shift entries back.
    const shift = memory.u32[(tlbOf(ZEN5).ptr + TLB_L1_4K + DESC_INDEX_SHIFT) >>> 2];
    const pages: number[] = [];
    for (let p = 0; pages.length < 2 * preset.l1.entries; p++) if (homeSlot(p, shift) < 64) pages.push(p);
    const dir = directory(Array(Math.floor(pages.at(-1)! / 512) + 1).fill(false));
    // One invalidation in eight ops, so the sets fill and overflow between them.
    const op = fc.record({ invalidate: fc.integer({ min: 0, max: 7 }).map((x) => x === 0), page: fc.constantFrom(...pages) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 300, maxLength: 600 }), (ops) => {
        const tlb = tlbOf(preset);
        // The reference: each set's pages, most recent first.
        const model = Array.from({ length: sets }, () => [] as number[]);
        for (const { invalidate, page } of ops) {
          const set = model[page % sets];
          const at = set.indexOf(page);
          if (invalidate) {
            tlb.invalidatePages([page]);
            if (at >= 0) set.splice(at, 1);
            continue;
          }
          expect(touchPage(tlb, dir, page).l1Misses4k).toBe(at >= 0 ? 0 : 1);
          if (at >= 0) set.splice(at, 1);
          set.unshift(page);
          if (set.length > ways) set.pop();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("counts stores apart and walks on loads only among walks", () => {
    const dir = directory(Array(64).fill(false));
    const stream = new AccessStream(memory, region(dir, 32768), { kind: "uniform", storeFraction: 0.25 }, 7);
    const c = tlbOf(GOLDEN_COVE).run(stream, 200_000);
    expect(c.loads + c.stores).toBe(c.accesses);
    expect(Math.abs(c.stores / c.accesses - 0.25)).toBeLessThan(4 * Math.sqrt(0.25 * 0.75 / 200_000));
    expect(c.walksOnLoads).toBeLessThan(c.walks);
    expect(perfDtlbLoadMisses(c, GOLDEN_COVE)).toBe(c.walksOnLoads);
    expect(perfDtlbLoadMisses(c, ZEN5)).toBe(c.walks);
  });
});

describe("estimateTlb()", () => {
  const run = (preset: TlbPreset, huge: boolean[], pattern: AccessPattern, accesses: number, exact: boolean, seed = 3) => {
    const dir = directory(huge);
    const tlb = new TaskTlb(memory, cores.wasm, preset);
    const stream = new AccessStream(memory, { dir, firstPmd: 0, offset: 0, length: huge.length * PMD_BYTES }, pattern, seed);
    return estimateTlb(tlb, stream, accesses, { exact });
  };

  it("gives 0.875 walks per access for uniform accesses over 32768 4 KiB pages with a 4096-entry L2", () => {
    const est = run(ZEN5, Array(64).fill(false), { kind: "uniform" }, 327_680_000, false);
    expect(est.exact).toBe(false);
    expect(est.walksPerAccessStdError).toBeGreaterThan(0);
    expect(Math.abs(est.walksPerAccess - 0.875)).toBeLessThan(4 * est.walksPerAccessStdError);
    expect(est.counts.accesses).toBe(327_680_000);
    expect(est.counts.walks).toBeCloseTo(est.walksPerAccess * 327_680_000, 0);
  });

  it("gives no walks in steady state when every PMD is huge", () => {
    const est = run(ZEN5, Array(64).fill(true), { kind: "uniform" }, 327_680_000, false);
    expect(est.counts.walks).toBe(0);
  });

  it("agrees with exact mode within the stated error", () => {
    const huge = Array.from({ length: 64 }, (_, i) => i % 4 === 0);
    const exact = run(GOLDEN_COVE, huge, { kind: "uniform" }, 6_000_000, true, 11);
    const sampled = run(GOLDEN_COVE, huge, { kind: "uniform" }, 6_000_000_000, false, 12);
    expect(exact).toMatchObject({ exact: true, simulated: 6_000_000, walksPerAccessStdError: 0 });
    expect(sampled.simulated).toBe(2 ** 20);
    const exactError = Math.sqrt((exact.walksPerAccess * (1 - exact.walksPerAccess)) / 6_000_000);
    expect(Math.abs(sampled.walksPerAccess - exact.walksPerAccess))
      .toBeLessThan(4 * Math.hypot(sampled.walksPerAccessStdError, exactError));
  });

  it("sends hotProbability of the accesses to a hot block that fits the TLB", () => {
    // 1 % of 32768 pages is hot and fits Zen 5's L2; the cold 99 % miss it at about 1 - 3768/32440.
    const est = run(ZEN5, Array(64).fill(false), { kind: "hot", hotFraction: 0.01, hotProbability: 0.9 }, 1e9, false);
    expect(est.walksPerAccess).toBeGreaterThan(0.07);
    expect(est.walksPerAccess).toBeLessThan(0.1);
  });

  it("concentrates Zipf(1.2) accesses enough to cut walks well below uniform", () => {
    const est = run(ZEN5, Array(64).fill(false), { kind: "zipf", exponent: 1.2 }, 1e9, false);
    expect(est.walksPerAccess).toBeLessThan(0.3);
  });

  it("rejects a non-positive count with a RangeError naming the field", () => {
    expect(() => run(ZEN5, [false], { kind: "uniform" }, 0, false)).toThrow(/accesses must be a positive integer, got 0/);
  });
});

describe("AccessStream", () => {
  it("rejects a region offset that is not page-aligned", () => {
    const dir = directory([false]);
    expect(() => new AccessStream(memory, { dir, firstPmd: 0, offset: 100, length: PAGE }, { kind: "uniform" }, 1))
      .toThrow(new RangeError('Cannot create access stream: region.offset must be a multiple of 4096 below 2097152, got 100'));
  });

  it("setDirectory() follows a moved directory: the same page map gives the same walks", () => {
    const dir = directory(Array(4).fill(false));
    const moved = directory([true, false, false, false, false]);
    const sweepOf = () => new AccessStream(memory, region(dir, 2048), { kind: "sequential", stride: PAGE }, 1);
    const stream = sweepOf();
    stream.setDirectory(moved, 1);
    expect(stream.region).toMatchObject({ dir: moved, firstPmd: 1 });
    expect(new TaskTlb(memory, cores.wasm, ZEN5).run(stream, 2048)).toEqual(new TaskTlb(memory, cores.wasm, ZEN5).run(sweepOf(), 2048));
  });

  it("writes a Zipf alias table whose page probabilities are the Zipf law over shuffled ranks", () => {
    const dir = directory([false]);
    const pages = 512;
    const stream = new AccessStream(memory, region(dir, pages), { kind: "zipf", exponent: 1.1 }, 5);
    const table = memory.u32[(stream.ptr + STREAM_P0) >>> 2] >>> 2;
    const prob = new Float64Array(pages);
    for (let i = 0; i < pages; i++) {
      const [threshold, page, alias] = memory.u32.subarray(table + 3 * i, table + 3 * i + 3);
      prob[page] += threshold / 2 ** 32 / pages;
      prob[alias] += (1 - threshold / 2 ** 32) / pages;
    }
    const sorted = [...prob].sort((a, b) => b - a);
    let norm = 0;
    for (let r = 1; r <= pages; r++) norm += r ** -1.1;
    sorted.forEach((p, r) => expect(p).toBeCloseTo((r + 1) ** -1.1 / norm, 9));
    expect(prob.indexOf(sorted[0])).not.toBe(0); // ranks are scattered, not page order
  });

  it("rejects a hot fraction that leaves no cold page", () => {
    const dir = directory([false]);
    expect(() => new AccessStream(memory, region(dir, 4), { kind: "hot", hotFraction: 0.99, hotProbability: 0.5 }, 1))
      .toThrow(RangeError);
  });
});

describe("tlbPreset()", () => {
  it("finds presets by name and names the known ones otherwise", () => {
    expect(tlbPreset("zen5")).toBe(ZEN5);
    expect(() => tlbPreset("p4")).toThrow(/Unknown TLB preset "p4": expected one of zen5, golden-cove/);
  });

  it("records which walks each vendor's dTLB-load-misses counts", () => {
    expect(ZEN5.perfDtlbLoadMisses.counts).toBe("walks");
    expect(GOLDEN_COVE.perfDtlbLoadMisses.counts).toBe("walks-on-loads");
  });
});

describe("cost model", () => {
  it("BARE_METAL is the line through the published bare-metal rows", () => {
    expect(BARE_METAL.baseTicks).toBeCloseTo(1.32, 2);
    expect(BARE_METAL.ticksPerWalk).toBeCloseTo(4.19, 2);
    expect(BARE_METAL.tscHz / 1e9).toBeCloseTo(4.29, 2);
    expect(BARE_METAL.offsetSecondsPerAccess * 327_680_000).toBeCloseTo(2.76, 2);
  });

  it("reproduces the published times and throughputs from walks per access", () => {
    const rows = SEED_ROWS.bareMetal;
    const walks = (r: { dtlbLoadMisses: number }) => r.dtlbLoadMisses / 327_680_000;
    expect(ticksPerAccess(BARE_METAL, walks(rows.without))).toBeCloseTo(4.96, 6);
    expect(accessSeconds(BARE_METAL, 327_680_000, walks(rows.with))).toBeCloseTo(2.93, 6);
    expect(throughput(BARE_METAL, walks(rows.without)) / 1e6).toBeCloseTo(104.38, 0);
    expect(throughput(BARE_METAL, walks(rows.with)) / 1e6).toBeCloseTo(111.89, 0);
  });

  it("calibrationCheck() reports the guest's change predicted within 3 points but its level 34-40 % low", () => {
    const check = calibrationCheck();
    expect(Math.abs(check.predictedTicksChange - check.measuredTicksChange)).toBeLessThan(0.03);
    for (const row of check.rows) expect(row.error).toBeLessThan(-0.3);
    expect(check.guestModel.ticksPerWalk).toBeCloseTo(7.18, 2);
    expect(check.summary).toMatch(/measured/);
  });
});
