/**
 * The synthetic map generator: its distributions for a seed, its determinism, its
 * VMA layout, copy on write of shared tables, and its refusal of maps that cannot fit.
 */
import { describe, expect, test } from "vitest";
import { PMD_SIZE, PTE } from "../host/core/layout.ts";
import { censusMaps } from "../host/synth/census.ts";
import { generateMap } from "../host/synth/generate.ts";
import { parseSynthSpec, type SynthSpecInput } from "../host/synth/spec.ts";
import { synthKernel } from "./synth_fixture.ts";

const GiB = 1024 ** 3;

describe("generateMap() distributions", () => {
  test("generateMap() gives each page state its fraction of memory within 0.01 for a seed", async () => {
    const k = await synthKernel();
    const fractions = { huge: 0.2, cold: 0.1, swapped: 0.05, shared: 0.05, lazyfree: 0.1, locked: 0.02 };
    const map = generateMap(k, { seed: 42, tasks: 4, size: "64GiB", population: { full: 1 }, fractions });
    const c = censusMaps(map.mms);
    expect(c.pmds).toBe(32768);
    const pages = c.pmds * 512;
    expect(c.hugePmds / c.pmds).toBeCloseTo(fractions.huge, 1);
    expect(Math.abs(c.hugePmds / c.pmds - fractions.huge)).toBeLessThan(0.01);
    for (const s of ["cold", "swapped", "shared", "lazyfree", "locked"] as const) {
      expect(Math.abs(c.ptes[s] / pages - fractions[s]), s).toBeLessThan(0.01);
    }
    const normal = 1 - Object.values(fractions).reduce((a, b) => a + b, 0);
    expect(Math.abs(c.ptes.normal / pages - normal)).toBeLessThan(0.01);
    expect(c.ptes.none + c.ptes.other).toBe(0);
  });

  test("generateMap() empties exactly sparseNone PTEs of every sparse PMD", async () => {
    const k = await synthKernel();
    const map = generateMap(k, { seed: 3, size: "4GiB", population: { sparse: 1 }, sparseNone: 37, variety: 5 });
    const c = censusMaps(map.mms);
    expect(c.tablePmds).toBe(2048);
    expect(c.ptes.none).toBe(2048 * 37);
    // Five templates of each state, one state here: five tables for 2048 PMDs.
    expect(c.distinctTables).toBe(5);
  });

  test("generateMap() draws a mixed PMD's PTEs one by one, each table its own with variety unique", async () => {
    const k = await synthKernel();
    const fractions = { cold: 0.2, swapped: 0.1, lazyfree: 0.1 };
    const map = generateMap(k, { seed: 9, size: "2GiB", population: { mixed: 1 }, sparseNone: 128, variety: "unique", fractions });
    const c = censusMaps(map.mms);
    expect(c.distinctTables).toBe(c.tablePmds);
    const ptes = c.pmds * 512;
    expect(Math.abs(c.ptes.none / ptes - 0.25)).toBeLessThan(0.005);
    for (const s of ["cold", "swapped", "lazyfree"] as const) {
      expect(Math.abs(c.ptes[s] / ptes - fractions[s] * 0.75), s).toBeLessThan(0.005);
    }
  });

  test("generateMap() splits the size over tasks and draws VMA sizes from the distribution", async () => {
    const k = await synthKernel();
    const fixed = generateMap(k, { tasks: 3, size: "3GiB", vmaSize: { dist: "fixed", size: "128MiB" }, name: "f" });
    expect(fixed.mms.map((mm) => mm.vmas.reduce((s, v) => s + (v.end - v.start), 0))).toEqual([GiB, GiB, GiB]);
    expect(fixed.mms[0].vmas.every((v) => v.end - v.start === 128 * 1024 * 1024)).toBe(true);
    const uniform = generateMap(k, { size: "8GiB", vmaSize: { dist: "uniform", min: "4MiB", max: "16MiB" }, name: "u" });
    // All but the last VMA (which takes what is left) lie within [min, max].
    expect(uniform.mms[0].vmas.slice(0, -1).every((v) => v.end - v.start >= 4 << 20 && v.end - v.start <= 16 << 20)).toBe(true);
    const logn = generateMap(k, { size: "64GiB", vmaSize: { dist: "lognormal", median: "64MiB", sigma: 1 }, name: "l" });
    const sizes = logn.mms[0].vmas.slice(0, -1).map((v) => v.end - v.start).sort((a, b) => a - b);
    const median = sizes[sizes.length >> 1];
    expect(median / (64 << 20)).toBeGreaterThan(0.8);
    expect(median / (64 << 20)).toBeLessThan(1.25);
    // VMAs are PMD-aligned and one empty PMD apart, as mmap places 2 MiB multiples.
    const v = logn.mms[0].vmas;
    expect(v.every((x, i) => x.start % PMD_SIZE === 0 && (i === 0 || x.start === v[i - 1].end + PMD_SIZE))).toBe(true);
  });
});

describe("generateMap() determinism and representation", () => {
  const spec: SynthSpecInput = { preset: "realistic", size: "16GiB", seed: 5 };

  test("generateMap() writes the same directories and tables for the same spec and seed", async () => {
    const dump = async (seed: number) => {
      const k = await synthKernel();
      const map = generateMap(k, { ...spec, seed });
      return { census: censusMaps(map.mms), words: Array.from(k.core.u32.subarray(0, k.core.usedBytes >>> 2)) };
    };
    const [a, b, c] = [await dump(5), await dump(5), await dump(6)];
    expect(b.census).toEqual(a.census);
    expect(b.words).toEqual(a.words);
    expect(c.census).not.toEqual(a.census);
  });

  test("generateMap() costs a directory and a few tables for a map of alike PMDs", async () => {
    const k = await synthKernel();
    const map = generateMap(k, { preset: "uniform", size: "1TiB" });
    expect(map.stats.tables).toBe(1);
    expect(map.stats.pmds).toBe(524288);
    // 4 bytes of directory per 2 MiB: 2 KiB per GiB, plus one table and alignment.
    expect(map.stats.bytesPerMappedGiB).toBeLessThan(2100);
    expect(map.stats.coreBytes).toBeLessThanOrEqual(map.plan.bytes);
  });

  test("a write through PageTable.writableTable() copies a shared table and leaves its sharers alone", async () => {
    const k = await synthKernel();
    const map = generateMap(k, { size: "64MiB", vmaSize: { dist: "fixed", size: "64MiB" } });
    const mm = map.mms[0];
    const before = censusMaps([mm]);
    expect(before.distinctTables).toBe(1);
    const pmdNo = mm.vmas[0].start / PMD_SIZE + 3;
    const shared = mm.pt.table(pmdNo);
    const own = mm.pt.writableTable(pmdNo);
    expect(own).not.toBe(shared);
    // Make PTE 0 of the copy lazy-free, as MADV_FREE would.
    const u32 = k.core.u32;
    u32[own >>> 2] &= ~(PTE.YOUNG | PTE.DIRTY | PTE.FOLIO_SWAPBACKED);
    const after = censusMaps([mm]);
    expect(after.distinctTables).toBe(2);
    expect(after.ptes.lazyfree).toBe(1);
    expect(after.ptes.normal).toBe(before.ptes.normal - 1);
    expect(mm.pt.table(pmdNo + 1)).toBe(shared);
    expect(mm.pt.writableTable(pmdNo)).toBe(own);
  });
});

describe("generateMap() refusal and validation", () => {
  test("generateMap() refuses a map larger than core memory before allocating anything", async () => {
    const k = await synthKernel(16 * 1024 * 1024);
    const used = k.core.usedBytes, mms = k.mms.length;
    expect(() => generateMap(k, { preset: "random", size: "64GiB" }))
      .toThrow(/Cannot generate a synthetic map of 64 GiB: it needs \d+ bytes of core memory, and \d+ bytes of the 16777216-byte limit are free/);
    expect(k.core.usedBytes).toBe(used);
    expect(k.mms.length).toBe(mms);
  });

  test("generateMap() refuses a map whose directories alone exceed the limit without walking its PMDs", async () => {
    const k = await synthKernel(16 * 1024 * 1024);
    const used = k.core.usedBytes;
    // 32 Mi PMDs: a 128 MiB directory, 4 bytes a PMD. "At least" is the directories-only
    // bound, which the refusal gives before any PMD is planned (a walk would name the total).
    expect(() => generateMap(k, { size: "64 TiB" })).toThrow(RangeError);
    expect(() => generateMap(k, { size: "64 TiB" })).toThrow(/needs at least 134217728 bytes/);
    expect(k.core.usedBytes).toBe(used);
    expect(k.mms.length).toBe(0);
  });

  test("parseSynthSpec() names the field it rejects", () => {
    expect(() => parseSynthSpec({ fractions: { huge: 0.6, lazyfree: 0.5 } }))
      .toThrow("generate.fractions must sum to at most 1, got 1.1");
    expect(() => parseSynthSpec({ size: "3MiB" })).toThrow("generate.size must be a positive multiple of 2 MiB, got 3145728");
    expect(() => parseSynthSpec({ sizes: 1 }, "scenario.generate")).toThrow(/^scenario\.generate\.sizes is not a known field/);
    expect(() => parseSynthSpec({ population: { full: "all" } })).toThrow(TypeError);
    expect(() => parseSynthSpec({ preset: "huge" })).toThrow(/generate\.preset must be one of "uniform", "random", "realistic"/);
  });

  test("parseSynthSpec() merges a preset's fractions with the fields given", () => {
    const s = parseSynthSpec({ preset: "realistic", fractions: { lazyfree: 0.2 }, size: "1TiB" });
    expect(s.fractions).toMatchObject({ huge: 0.3, lazyfree: 0.2 });
    expect(s.size).toBe(1024 ** 4);
    expect(s.tasks).toBe(16);
  });
});
