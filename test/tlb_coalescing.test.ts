import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD, PTE, PTE_TABLE_BYTES } from "../host/core/layout.ts";
import {
  AccessStream, type AccessPattern, GOLDEN_COVE, TaskTlb, type TlbCore, type TlbPreset, type TlbRegion,
  virtualizationOf, ZEN5,
} from "../host/tlb/mod.ts";
import { createTlbCores } from "./tlb_fixture.ts";

let memory: CoreMemory;
let wasm: TlbCore;
let ts: TlbCore;

beforeAll(async () => {
  ({ memory, wasm, ts } = await createTlbCores());
});

/**
 * How the four PTEs of an aligned group map: contiguous frames from an aligned one (the
 * only kind that coalesces), contiguous from a misaligned one, scattered, with a hole, or
 * with one read-only page among writable ones.
 */
const GROUP_KINDS = ["aligned", "misaligned", "scattered", "hole", "mixed-permissions"] as const;
type GroupKind = (typeof GROUP_KINDS)[number];
/**
 * A PMD: a 2 MiB page, none (entry 0), or a PTE table whose 128 groups of four are of the
 * kinds given (repeated), which may be under migration (the entry's MIGRATION bit set:
 * nothing in it coalesces, whatever its PTEs).
 */
type PmdSpec = { huge: true } | { none: true } | { huge: false; groups: GroupKind[]; migrating: boolean };

/** Write the four PTEs of group `g` (from PTE index 4g) of the table at byte `table`, frames counted from `frame`. */
function writeGroup(table: number, g: number, kind: GroupKind, frame: number): void {
  const w = (table >>> 2) + 8 * g;
  for (let i = 0; i < 4; i++) {
    const pfn = kind === "aligned" || kind === "hole" || kind === "mixed-permissions" ? frame + i
      : kind === "misaligned" ? frame + 1 + i
      : frame + 7 * i + 3;
    let lo = PTE.PRESENT | PTE.WRITE | PTE.YOUNG | (i === 2 ? PTE.DIRTY : 0);
    if (kind === "hole" && i === 3) lo = 0;
    if (kind === "mixed-permissions" && i === 1) lo &= ~PTE.WRITE;
    memory.u32[w + 2 * i] = lo;
    memory.u32[w + 2 * i + 1] = pfn;
  }
}

/** A directory of real PTE tables (and 2 MiB entries) laid out as `pmds` say; frames of group g start at 64(g + 1) + 2^16 p. */
function directory(pmds: PmdSpec[]): number {
  const dir = memory.alloc(pmds.length * 4, 64);
  pmds.forEach((spec, p) => {
    if ("none" in spec) return;
    if (spec.huge) {
      memory.u32[(dir >>> 2) + p] = PMD.HUGE | (p + 1);
      return;
    }
    const table = memory.allocTable();
    for (let g = 0; g < 128; g++) writeGroup(table, g, spec.groups[g % spec.groups.length], 2 ** 16 * p + 64 * (g + 1));
    memory.u32[(dir >>> 2) + p] = (table / PTE_TABLE_BYTES) | (spec.migrating ? PMD.MIGRATION : 0);
  });
  return dir;
}

function run(core: TlbCore, preset: TlbPreset, region: TlbRegion, pattern: AccessPattern, seed: number, count: number, v = "none") {
  const tlb = new TaskTlb(memory, core, preset, virtualizationOf(v));
  return tlb.run(new AccessStream(memory, region, pattern, seed), count);
}

const pmdSpec = (kinds: readonly GroupKind[]): fc.Arbitrary<PmdSpec> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant({ huge: true as const }) },
    { weight: 1, arbitrary: fc.constant({ none: true as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        groups: fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 6 }),
        migrating: fc.integer({ min: 0, max: 3 }).map((x) => x === 0),
      } as const).map(({ groups, migrating }) => ({ huge: false as const, groups, migrating })),
    },
  );

const layout = (kinds: readonly GroupKind[]) =>
  fc.array(pmdSpec(kinds), { minLength: 1, maxLength: 4 }).chain((pmds) =>
    fc.integer({ min: 0, max: pmds.length * 512 - 1 }).chain((start) =>
      fc.integer({ min: 1, max: pmds.length * 512 - start }).map((pages) => ({ pmds, start, pages }))
    )
  );

const pattern: fc.Arbitrary<AccessPattern> = fc.tuple(
  fc.oneof(
    fc.constant({ kind: "uniform" as const }),
    fc.integer({ min: 1, max: 5 * 4096 }).map((stride) => ({ kind: "sequential" as const, stride })),
    fc.record({ exponent: fc.double({ min: 0.5, max: 2, noNaN: true }) }).map((z) => ({ kind: "zipf" as const, ...z })),
  ),
  fc.constantFrom(0, 0.25),
).map(([p, storeFraction]) => ({ ...p, storeFraction }));

/** Zen 5 with small arrays, so that a few PMDs overflow them, and each coalescing size the layout allows. */
const smallZen = (pteCoalescing: number): TlbPreset => ({
  ...ZEN5,
  name: `small-zen-${pteCoalescing}`,
  l1: { entries: 24, ways: 24 },
  l2: { entries: 64, ways: 4 },
  pteCoalescing,
});

function regionOf(dir: number, l: { start: number; pages: number }): TlbRegion {
  return { dir, firstPmd: l.start >>> 9, offset: (l.start & 511) * 4096, length: l.pages * 4096 };
}

describe("PTE coalescing in tlbRun()", () => {
  it("counts the same on the WASM core and the TypeScript twin over any mix of groups", () => {
    fc.assert(
      fc.property(
        layout(GROUP_KINDS), pattern, fc.constantFrom(ZEN5, GOLDEN_COVE, smallZen(2), smallZen(4), smallZen(8)),
        fc.constantFrom("none", "nested-4k", "nested-2m"), fc.integer(), fc.integer({ min: 1, max: 4000 }),
        (l, p, preset, v, seed, count) => {
          const region = regionOf(directory(l.pmds), l);
          expect(run(wasm, preset, region, p, seed, count, v)).toEqual(run(ts, preset, region, p, seed, count, v));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("leaves every count unchanged where no aligned group maps contiguous frames with one set of permissions", () => {
    const noCoalescible = GROUP_KINDS.filter((k) => k !== "aligned");
    fc.assert(
      fc.property(layout(noCoalescible), pattern, fc.integer(), fc.integer({ min: 1, max: 4000 }), (l, p, seed, count) => {
        const region = regionOf(directory(l.pmds), l);
        for (const core of [wasm, ts]) {
          expect(run(core, smallZen(4), region, p, seed, count)).toEqual(run(core, smallZen(1), region, p, seed, count));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("coalesces nothing in a PTE table under migration or past an empty directory entry, on either core", () => {
    const dir = directory([
      { huge: false, groups: ["aligned"], migrating: true }, { none: true }, { huge: false, groups: ["aligned"], migrating: false },
    ]);
    const region = { dir, firstPmd: 0, offset: 0, length: 2 * 512 * 4096 };
    for (const core of [wasm, ts]) {
      expect(run(core, smallZen(4), region, { kind: "uniform" }, 9, 20_000))
        .toEqual(run(core, smallZen(1), region, { kind: "uniform" }, 9, 20_000));
      // The third table's aligned groups do coalesce: the check is not vacuous.
      const all = { ...region, length: 3 * 512 * 4096 };
      expect(run(core, smallZen(4), all, { kind: "uniform" }, 9, 20_000).walks)
        .toBeLessThan(run(core, smallZen(1), all, { kind: "uniform" }, 9, 20_000).walks);
    }
  });

  // Uniform accesses over 32768 pages: a 4096-entry L2 holds 1/8 of them, or 1/2 as 16 KiB entries.
  it.each([
    ["scattered", "zen5", ZEN5, 1 - 4096 / 32768],
    ["aligned", "zen5", ZEN5, 1 - 4 * 4096 / 32768],
    ["aligned", "golden-cove", GOLDEN_COVE, 1 - 2048 / 32768],
  ] as const)("holds four pages per Zen 5 L2 entry only over aligned frames: %s, %s, %f walks per access", (kind, _name, preset, expected) => {
    const dir = directory(Array.from({ length: 64 }, () => ({ huge: false as const, groups: [kind], migrating: false })));
    const region = { dir, firstPmd: 0, offset: 0, length: 64 * 512 * 4096 };
    const tlb = new TaskTlb(memory, wasm, preset);
    const stream = new AccessStream(memory, region, { kind: "uniform" }, 5);
    tlb.run(stream, 200_000);
    const c = tlb.run(stream, 400_000);
    expect(c.walks / c.accesses).toBeCloseTo(expected, 1);
  });

  it("coalesces nothing under 4 KiB host pages, whose frames the model does not know to be contiguous", () => {
    const dir = directory(Array.from({ length: 8 }, () => ({ huge: false as const, groups: ["aligned" as const], migrating: false })));
    const region = { dir, firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    const count = 50_000;
    const nested = run(wasm, smallZen(4), region, { kind: "uniform" }, 3, count, "nested-4k");
    expect(nested).toEqual(run(wasm, smallZen(1), region, { kind: "uniform" }, 3, count, "nested-4k"));
    expect(run(wasm, smallZen(4), region, { kind: "uniform" }, 3, count, "nested-2m").walks).toBeLessThan(nested.walks);
  });
});

describe("TaskTlb.invalidatePages()", () => {
  it("drops the coalesced entry holding an invalidated page, so its group walks again", () => {
    const dir = directory([{ huge: false, groups: ["aligned"], migrating: false }]);
    const region = { dir, firstPmd: 0, offset: 0, length: 16 * 4096 };
    for (const core of [wasm, ts]) {
      const tlb = new TaskTlb(memory, core, ZEN5);
      const sweep = () => tlb.run(new AccessStream(memory, region, { kind: "sequential", stride: 4096 }, 1), 16);
      expect(sweep().walks).toBe(4);
      expect(sweep().walks).toBe(0);
      tlb.invalidatePages([6]);
      expect(sweep()).toMatchObject({ walks: 1, l1Misses4k: 1 });
    }
  });

  it("rejects a pteCoalescing that is not a power of two up to 16, naming the field", () => {
    expect(() => new TaskTlb(memory, wasm, { ...ZEN5, pteCoalescing: 3 })).toThrow(/pteCoalescing must be 1, 2, 4, 8 or 16, got 3/);
  });
});
