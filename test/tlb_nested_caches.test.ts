import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import {
  AccessStream, type AccessPattern, TaskTlb, type TlbArray, type TlbCore, type TlbPreset, type TlbRegion,
  virtualizationOf, ZEN5,
} from "../host/tlb/mod.ts";
import { createTlbCores, mappedDirectory } from "./tlb_fixture.ts";

let memory: CoreMemory;
let wasm: TlbCore;
let ts: TlbCore;

beforeAll(async () => {
  ({ memory, wasm, ts } = await createTlbCores());
});

/** A directory of `huge.length` PMDs: 2 MiB pages, or PTE tables of present pages on frames 5 apart from frame 2^20. */
function directory(huge: boolean[]): number {
  return mappedDirectory(memory, huge, (p) => p + 7, (p, i) => (1 << 20) + 5 * (512 * p + i));
}

/** Zen 5 with a small L1 and L2, so that a few PMDs make walks, and the nested caches given. */
const withCaches = (ntlb: TlbArray | null, pwc: TlbArray | null): TlbPreset => ({
  ...ZEN5, name: "small-zen-nested-caches", l1: { entries: 24, ways: 24 }, l2: { entries: 64, ways: 4 },
  nestedWalkCaches: { ntlb, pwc },
});

function runs(core: TlbCore, preset: TlbPreset, region: TlbRegion, v: string, counts: number[], p: AccessPattern = { kind: "uniform" }) {
  const tlb = new TaskTlb(memory, core, preset, virtualizationOf(v));
  const stream = new AccessStream(memory, region, p, 11);
  return counts.map((n) => tlb.run(stream, n));
}

const array: fc.Arbitrary<TlbArray | null> = fc.option(fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 16 }), fc.constantFrom(1, 2, 4)).map(([ways, sets]) => ({ entries: ways * sets, ways })),
  fc.integer({ min: 17, max: 48 }).map((ways) => ({ entries: ways, ways })),
));

describe("nested walk caches in tlbRun()", () => {
  it("count the same on the WASM core and the TypeScript twin", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), array, array,
        fc.constantFrom("nested-4k", "nested-2m", "nested-1g"), fc.integer({ min: 1, max: 5000 }),
        (huge, ntlb, pwc, v, n) => {
          const region = { dir: directory(huge), firstPmd: 0, offset: 0, length: huge.length * 512 * 4096 };
          const preset = withCaches(ntlb, pwc);
          expect(runs(wasm, preset, region, v, [n, 1000])).toEqual(runs(ts, preset, region, v, [n, 1000]));
        },
      ),
      { numRuns: 120 },
    );
  });

  // Eight PMDs of 4 KiB pages on frames in 41 host pages of 2 MiB (4096 pages 5 frames
  // apart); the guest's page-table pages take three more: a 64-entry nested TLB holds
  // them all once warm, and so does a 64-entry nested walk cache their upper entries
  // under 4 KiB host pages.
  const huge = Array.from({ length: 8 }, () => false);

  it("cost a warm walk only its guest loads when the nested TLB holds every host page", () => {
    const region = { dir: directory(huge), firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    const preset = withCaches({ entries: 64, ways: 64 }, null);
    for (const core of [wasm, ts]) {
      const [, nested] = runs(core, preset, region, "nested-2m", [100_000, 50_000]);
      const [, bare] = runs(core, preset, region, "none", [100_000, 50_000]);
      expect(bare.walks).toBeGreaterThan(40_000);
      expect(nested.walks).toBe(bare.walks);
      expect(nested.walkRefs).toBe(bare.walkRefs);
    }
  });

  it("cost one host load per guest-physical address when only the nested walk cache holds the host entries", () => {
    const region = { dir: directory(huge), firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    const preset = withCaches(null, { entries: 64, ways: 64 });
    const [, nested] = runs(wasm, preset, region, "nested-4k", [100_000, 50_000]);
    const [, bare] = runs(wasm, preset, region, "none", [100_000, 50_000]);
    expect(bare.walks).toBeGreaterThan(40_000);
    // g guest loads, then g + 1 host translations of one load each.
    expect(nested.walkRefs).toBe(2 * bare.walkRefs + bare.walks);
  });

  it("keep the full 2-D count where the preset has none", () => {
    const region = { dir: directory(huge), firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    const preset = withCaches(null, null);
    const [nested] = runs(wasm, preset, region, "nested-4k", [30_000]);
    const [bare] = runs(wasm, preset, region, "none", [30_000]);
    expect(bare.walks).toBeGreaterThan(20_000);
    expect(nested.walkRefs).toBe(5 * bare.walkRefs + 4 * bare.walks);
  });

  it("survive a guest's INVLPG, which empties the guest's walk caches only", () => {
    const region = { dir: directory(huge), firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    const preset = withCaches({ entries: 64, ways: 64 }, null);
    const sides = ["nested-2m", "none"].map((v) => {
      const tlb = new TaskTlb(memory, wasm, preset, virtualizationOf(v));
      const stream = new AccessStream(memory, region, { kind: "uniform" }, 3);
      tlb.run(stream, 100_000);
      tlb.invalidatePages([5, 700, 3000]);
      return tlb.run(stream, 20_000);
    });
    expect(sides[1].walks).toBeGreaterThan(10_000);
    expect(sides[0].walkRefs).toBe(sides[1].walkRefs);
  });
});
