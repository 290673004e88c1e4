import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import {
  AccessStream, type AccessPattern, GOLDEN_COVE, TaskTlb, type TlbArray, type TlbCore, type TlbPreset,
  type TlbRegion, type Virtualization, virtualizationOf, ZEN5,
} from "../host/tlb/mod.ts";
import { LOOP_COVE, LOOP_GENERAL, LOOP_ZEN, STREAM_P2, STREAM_RNG } from "../host/tlb/tlb_layout.ts";
import { createTlbCores } from "./tlb_fixture.ts";

let memory: CoreMemory;
let wasm: TlbCore;
let ts: TlbCore;
let tlbLoopShape: (tlb: number) => number;

beforeAll(async () => {
  const created = await createTlbCores();
  ({ memory, wasm, ts } = created);
  tlbLoopShape = created.exports.tlbLoopShape as typeof tlbLoopShape;
});

const pow2 = (max: number) => fc.integer({ min: 0, max }).map((b) => 2 ** b);
/** A set-associative array of up to 16 ways, or a fully associative one of up to 40. */
const array: fc.Arbitrary<TlbArray> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 16 }), pow2(4)).map(([ways, sets]) => ({ entries: ways * sets, ways })),
  fc.integer({ min: 17, max: 40 }).map((ways) => ({ entries: ways, ways })),
);
const preset: fc.Arbitrary<TlbPreset> = fc.oneof(
  fc.constantFrom(ZEN5, GOLDEN_COVE),
  fc.record({
    l1: array,
    l1Huge: fc.oneof(fc.constant("shared" as const), array),
    l2: array,
    l2HoldsHuge: fc.boolean(),
    pmd: fc.option(array),
    pud: fc.option(array),
    pgd: fc.option(array),
  }).map((p) => ({
    ...ZEN5,
    name: "random",
    l1: p.l1,
    l1Huge: p.l1Huge,
    l2: p.l2,
    l2HoldsHuge: p.l2HoldsHuge,
    pageWalkCaches: { pmd: p.pmd, pud: p.pud, pgd: p.pgd },
  })),
);

/** A directory of 1-8 PMDs and a page-aligned region inside it. */
const layout = fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }).chain((huge) =>
  fc.integer({ min: 0, max: huge.length * 512 - 1 }).chain((start) =>
    fc.integer({ min: 1, max: huge.length * 512 - start }).map((pages) => ({ huge, start, pages }))
  )
);

function pattern(pages: number): fc.Arbitrary<AccessPattern> {
  const kinds: fc.Arbitrary<AccessPattern>[] = [
    fc.integer({ min: 1, max: 3 * pages * 4096 }).map((stride) => ({ kind: "sequential" as const, stride })),
    fc.constant({ kind: "uniform" as const }),
    fc.record({ exponent: fc.double({ min: 0.3, max: 2.5, noNaN: true }) }).map((z) => ({ kind: "zipf" as const, ...z })),
  ];
  if (pages >= 2) {
    kinds.push(fc.record({
      hotPages: fc.integer({ min: 1, max: pages - 1 }),
      hotProbability: fc.double({ min: 0, max: 1, noNaN: true }),
      hotOffset: fc.double({ min: 0, max: 0.999, noNaN: true }),
    }).map(({ hotPages, ...rest }) => ({ kind: "hot" as const, hotFraction: hotPages / pages, ...rest })));
  }
  return fc.tuple(fc.oneof(...kinds), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })))
    .map(([p, storeFraction]) => ({ ...p, storeFraction }));
}

const virtualization = fc.constantFrom("none", "nested-4k", "nested-2m", "nested-1g").map(virtualizationOf);

const scenario = fc.record({ preset, layout }).chain(({ preset, layout }) =>
  fc.record({
    preset: fc.constant(preset),
    virtualization,
    layout: fc.constant(layout),
    pattern: pattern(layout.pages),
    seed: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    chunks: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 3 }),
  })
);

type Side = { tlb: TaskTlb; stream: AccessStream };

/** The WASM core and the TypeScript twin, each with a fresh TLB of `preset` and its own copy of one stream. */
function twoSides(
  preset: TlbPreset, region: TlbRegion, pattern: AccessPattern, seed: number, v: Virtualization = virtualizationOf("none"),
): Side[] {
  return [wasm, ts].map((core) => ({
    tlb: new TaskTlb(memory, core, preset, v),
    stream: new AccessStream(memory, region, pattern, seed),
  }));
}

/** Expect both streams' cursor and PRNG words equal. */
function expectSameStreams(sides: Side[]): void {
  const [sa, sb] = sides.map(({ stream }) => {
    const w = stream.ptr >>> 2;
    return [...memory.u32.subarray(w + STREAM_P2 / 4, w + STREAM_RNG / 4 + 4)];
  });
  expect(sa).toEqual(sb);
}

/** A uniform probe over both TLBs shows any difference their state has kept. */
function expectSameTlbState(sides: Side[], region: TlbRegion, count: number): void {
  const [pa, pb] = sides.map(({ tlb }) => tlb.run(new AccessStream(memory, region, { kind: "uniform" }, 99), count));
  expect(pa).toEqual(pb);
}

describe("tlbRun()", () => {
  it("gives identical counters, cursor and PRNG state on the WASM core and the TypeScript twin", () => {
    fc.assert(
      fc.property(scenario, ({ preset, virtualization, layout, pattern, seed, chunks }) => {
        const dir = memory.alloc(layout.huge.length * 4, 64);
        layout.huge.forEach((h, i) => { memory.u32[(dir >>> 2) + i] = h ? PMD.HUGE : 1; });
        const region = {
          dir, firstPmd: layout.start >>> 9, offset: (layout.start & 511) * 4096, length: layout.pages * 4096,
        };
        const sides = twoSides(preset, region, pattern, seed, virtualization);
        for (const count of chunks) {
          const [a, b] = sides.map(({ tlb, stream }) => tlb.run(stream, count));
          expect(a).toEqual(b);
          expectSameStreams(sides);
        }
        expectSameTlbState(sides, region, 2000);
      }),
      { numRuns: 200 },
    );
  });
});

describe("tlbRun() on the presets' shapes", () => {
  // Each preset's shape has one loop per pattern kind, with and without stores: every
  // one of them must count what the twin counts.
  const patterns: AccessPattern[] = [
    { kind: "sequential", stride: 4096 * 3 + 64 },
    { kind: "uniform" },
    { kind: "hot", hotFraction: 0.1, hotProbability: 0.9, hotOffset: 0.3 },
    { kind: "zipf", exponent: 1.1 },
  ];
  const cases = [ZEN5, GOLDEN_COVE].flatMap((preset) =>
    patterns.flatMap((p) =>
      [0, 0.3].flatMap((storeFraction) =>
        ["none", "nested-4k", "nested-2m"].map((v) => ({ preset, pattern: { ...p, storeFraction }, v }))
      )
    )
  );
  // A regressed shape check would keep every count and only lose speed: check it here.
  it.each([
    ["zen5", "Zen", ZEN5, LOOP_ZEN],
    ["golden-cove", "Cove", GOLDEN_COVE, LOOP_COVE],
    ["zen5 with a separate 2 MiB L1", "general", { ...ZEN5, l1Huge: { entries: 32, ways: 32 } }, LOOP_GENERAL],
    ["zen5 with an L2 of 4 KiB pages only", "general", { ...ZEN5, l2HoldsHuge: false }, LOOP_GENERAL],
    ["zen5 with a narrow PMD cache", "general",
      { ...ZEN5, pageWalkCaches: { ...ZEN5.pageWalkCaches, pmd: { entries: 64, ways: 4 } } }, LOOP_GENERAL],
    ["golden-cove without a PGD cache", "general",
      { ...GOLDEN_COVE, pageWalkCaches: { ...GOLDEN_COVE.pageWalkCaches, pgd: null } }, LOOP_GENERAL],
  ] as const)("a %s TLB takes the %s loop", (_label, _loop, preset: TlbPreset, loop) => {
    expect(tlbLoopShape(new TaskTlb(memory, wasm, preset).ptr)).toBe(loop);
  });

  it.each(cases)("$preset.name, $pattern.kind, storeFraction $pattern.storeFraction, $v", ({ preset, pattern, v }) => {
    const huge = [false, true, false, false, true, false, true, false];
    const dir = memory.alloc(huge.length * 4, 64);
    huge.forEach((h, i) => { memory.u32[(dir >>> 2) + i] = h ? PMD.HUGE : 1; });
    const region = { dir, firstPmd: 0, offset: 5 * 4096, length: (huge.length * 512 - 5) * 4096 };
    const sides = twoSides(preset, region, pattern, 7, virtualizationOf(v));
    const [a, b] = sides.map(({ tlb, stream }) => tlb.run(stream, 50_000));
    expect(a).toEqual(b);
    expect(a.stores > 0).toBe(pattern.storeFraction > 0);
    expect(a.walks).toBeGreaterThan(0);
    expectSameStreams(sides);
    expectSameTlbState(sides, region, 20_000);
  });
});
