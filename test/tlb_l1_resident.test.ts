import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import { AccessStream, type AccessPattern, TaskTlb, type TlbCore, type TlbPreset, type TlbRegion, ZEN5 } from "../host/tlb/mod.ts";
import {
  DESC_TAGS, OUT_ACCESSES, OUT_BYTES, OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_L2_HITS, OUT_LOADS, OUT_STORES, OUT_WALK_REFS,
  OUT_WALKS, STREAM_P2, STREAM_RNG, TLB_L1_4K,
} from "../host/tlb/tlb_layout.ts";
import { jumpXoshiro128 } from "../host/tlb/xoshiro_jump.ts";
import { createTlbCores } from "./tlb_fixture.ts";

let memory: CoreMemory;
let cores: TlbCore[];

beforeAll(async () => {
  const created = await createTlbCores();
  memory = created.memory;
  cores = [created.wasm, created.ts];
});

/** `core` with a count of the accesses it was asked to simulate. */
function counted(core: TlbCore): TlbCore & { simulated: number } {
  const c = { name: core.name, simulated: 0, tlbRun: (t: number, s: number, n: number, o: number) => {
    c.simulated += n;
    core.tlbRun(t, s, n, o);
  } };
  return c;
}

/** A directory with `huge[i]` for PMD i (a small one otherwise). */
function directory(huge: boolean[]): number {
  const dir = memory.alloc(huge.length * 4, 64);
  huge.forEach((h, i) => { memory.u32[(dir >>> 2) + i] = h ? PMD.HUGE : 1; });
  return dir;
}

/** The position-independent bytes of a TLB block: its arrays, after the descriptors and counters. */
function arrayBytes(tlb: TaskTlb, end: number): Uint8Array {
  const first = memory.u32[(tlb.ptr + TLB_L1_4K + DESC_TAGS) >>> 2];
  return new Uint8Array(memory.memory.buffer).slice(first, end);
}

function streamWords(s: AccessStream): number[] {
  return [...memory.u32.subarray((s.ptr + STREAM_P2) >>> 2, (s.ptr + STREAM_RNG + 16) >>> 2)];
}

/**
 * The same TLB and stream twice: one side runs `count` accesses through TaskTlb.run(),
 * the other through the core alone, `count` at a time in pieces. Returns what each
 * counted, the arrays' and the stream's bytes, and how many accesses the first side's
 * core simulated.
 */
function bothWays(
  core: TlbCore, preset: TlbPreset, region: TlbRegion, pattern: AccessPattern, seed: number, warm: number, count: number,
  warmTlb: (tlb: TaskTlb, out: number) => void = () => {},
) {
  const spy = counted(core);
  const sides = [spy, core].map((c) => {
    const tlb = new TaskTlb(memory, c, preset);
    const end = memory.usedBytes;
    return { tlb, end, stream: new AccessStream(memory, region, pattern, seed), out: memory.alloc(OUT_BYTES, 8) };
  });
  for (const { tlb, stream, out } of sides) {
    warmTlb(tlb, out);
    core.tlbRun(tlb.ptr, stream.ptr, warm, out);
  }
  const [a, b] = sides;
  const viaRun = a.tlb.run(a.stream, count);
  const simulated = spy.simulated;
  const f64 = () => new Float64Array(memory.memory.buffer, b.out, OUT_BYTES / 8);
  const viaCore = { accesses: 0, loads: 0, stores: 0, l1Misses4k: 0, l1Misses2m: 0, l2Hits: 0, walks: 0, walkRefs: 0 };
  for (let done = 0; done < count; done += 2 ** 20) {
    core.tlbRun(b.tlb.ptr, b.stream.ptr, Math.min(2 ** 20, count - done), b.out);
    const o = f64();
    viaCore.accesses += o[OUT_ACCESSES / 8];
    viaCore.loads += o[OUT_LOADS / 8];
    viaCore.stores += o[OUT_STORES / 8];
    viaCore.l1Misses4k += o[OUT_L1_MISSES_4K / 8];
    viaCore.l1Misses2m += o[OUT_L1_MISSES_2M / 8];
    viaCore.l2Hits += o[OUT_L2_HITS / 8];
    viaCore.walks += o[OUT_WALKS / 8];
    viaCore.walkRefs += o[OUT_WALK_REFS / 8];
  }
  const { walksOnLoads: _w, walkCycles: _c, ...counts } = viaRun;
  return {
    counts: [counts, viaCore],
    arrays: [arrayBytes(a.tlb, a.end), arrayBytes(b.tlb, b.end)],
    streams: [streamWords(a.stream), streamWords(b.stream)],
    simulated,
  };
}

/** A warm-up that touches each of the region's `pmds` 2 MiB pages once, so that all of them are in a large enough L1. */
function sweepPmds(core: TlbCore, region: TlbRegion, pmds: number) {
  return (tlb: TaskTlb, out: number) => {
    core.tlbRun(tlb.ptr, new AccessStream(memory, region, { kind: "sequential", stride: 2 << 20 }, 0).ptr, pmds + 1, out);
  };
}

const loadsOnly = (p: AccessPattern): AccessPattern => ({ ...p, storeFraction: 0 });

describe("jumpXoshiro128()", () => {
  it("moves a stream's PRNG as far as the core's draws do, one per uniform access", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 5000 }), (seed, n) => {
        const region = { dir: directory([false]), firstPmd: 0, offset: 0, length: 512 * 4096 };
        const stream = new AccessStream(memory, region, { kind: "uniform" }, seed);
        const rng = memory.u32.slice((stream.ptr + STREAM_RNG) >>> 2, (stream.ptr + STREAM_RNG + 16) >>> 2);
        jumpXoshiro128(rng, n);
        cores[0].tlbRun(new TaskTlb(memory, cores[0], ZEN5).ptr, stream.ptr, n, memory.alloc(OUT_BYTES, 8));
        expect([...rng]).toEqual(streamWords(stream).slice(-4));
      }),
      { numRuns: 60 },
    );
  });
});

describe("TaskTlb.run() over translations the L1 holds", () => {
  it("runs the seed's all-2 MiB phase B on a fraction of the accesses and leaves the core's bytes", () => {
    for (const core of cores) {
      // 128 MiB at an offset: 63 whole 2 MiB pages and the two ends of a 64th and 65th.
      const region = { dir: directory(Array(66).fill(true)), firstPmd: 1, offset: 5 * 4096, length: 128 << 20 };
      const r = bothWays(core, ZEN5, region, { kind: "uniform" }, 1, 200_000, 3_000_000);
      expect(r.counts[0]).toEqual(r.counts[1]);
      expect(r.counts[0]).toMatchObject({ accesses: 3_000_000, l1Misses2m: 0 });
      expect(r.arrays[0]).toEqual(r.arrays[1]);
      expect(r.streams[0]).toEqual(r.streams[1]);
      expect(r.simulated).toBeLessThan(30_000);
    }
  });

  it("falls back to the core when part of the stream is never drawn (a hot block taking every access)", () => {
    const region = { dir: directory(Array(8).fill(true)), firstPmd: 0, offset: 0, length: 8 * 512 * 4096 };
    // The hot pages are PMD 0's only; the other seven PMDs' entries, warmed by a sweep, stay unused.
    const hot: AccessPattern = { kind: "hot", hotFraction: 1 / 8, hotProbability: 1 };
    const r = bothWays(cores[0], ZEN5, region, hot, 3, 0, 100_000, sweepPmds(cores[0], region, 8));
    expect(r.simulated).toBeGreaterThanOrEqual(100_000);
    expect(r.counts[0]).toEqual(r.counts[1]);
    expect(r.arrays[0]).toEqual(r.arrays[1]);
  });

  // A budget for a loaded machine, not a speed claim: the property runs 200 short runs on both cores.
  it("leaves the core's counts and bytes for any loads-only pattern over a region of few 2 MiB pages", { timeout: 180_000 }, () => {
    const ways = fc.integer({ min: 17, max: 40 });
    const kase = ways.chain((w) => fc.record({
      ways: fc.constant(w),
      // Every PMD huge and fewer PMDs than ways, or a few 4 KiB pages, which take the core.
      layout: fc.oneof(
        {
          weight: 3,
          arbitrary: fc.integer({ min: 1, max: w - 1 }).chain((n) => fc.record({
            huge: fc.constant(Array(n).fill(true) as boolean[]),
            start: fc.integer({ min: 0, max: 511 }),
            pages: fc.integer({ min: 1, max: n * 512 - 511 }),
          })),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            huge: fc.constant([false] as boolean[]), start: fc.integer({ min: 0, max: 400 }), pages: fc.integer({ min: 1, max: w + 4 }),
          }),
        },
      ),
      pattern: fc.oneof(
        fc.constant<AccessPattern>({ kind: "uniform" }),
        fc.integer({ min: 1, max: 5 * 4096 }).map((stride): AccessPattern => ({ kind: "sequential", stride })),
        fc.double({ min: 0.5, max: 2.5, noNaN: true }).map((exponent): AccessPattern => ({ kind: "zipf", exponent })),
        fc.double({ min: 0, max: 1, noNaN: true }).map((hotProbability): AccessPattern =>
          ({ kind: "hot", hotFraction: 0.5, hotProbability })),
      ),
      seed: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      warm: fc.integer({ min: 0, max: 3000 }),
      // A sweep over every 2 MiB page first makes all of them resident.
      sweep: fc.boolean(),
      count: fc.integer({ min: 1, max: 20_000 }),
      core: fc.integer({ min: 0, max: 1 }),
    }));
    const numRuns = 100;
    let shortcuts = 0;
    fc.assert(
      fc.property(kase, ({ ways, layout, pattern, seed, warm, sweep, count, core }) => {
        if (layout.pages < 2 && pattern.kind === "hot") return;
        const preset = { ...ZEN5, name: "wide", l1: { entries: ways, ways } };
        const region = {
          dir: directory(layout.huge), firstPmd: 0, offset: layout.start * 4096, length: layout.pages * 4096,
        };
        const r = bothWays(cores[core], preset, region, loadsOnly(pattern), seed, warm, count,
          sweep ? sweepPmds(cores[core], region, layout.huge.length) : undefined);
        expect(r.counts[0]).toEqual(r.counts[1]);
        expect(r.arrays[0]).toEqual(r.arrays[1]);
        expect(r.streams[0]).toEqual(r.streams[1]);
        if (r.simulated < count) shortcuts++;
      }),
      { numRuns },
    );
    // About a third of the cases take the shortcut, or the property would test the core against itself.
    expect(shortcuts).toBeGreaterThan(numRuns / 10);
  });
});
