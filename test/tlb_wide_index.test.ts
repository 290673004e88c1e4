import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import { AccessStream, TaskTlb, type TlbArray, type TlbCore, type TlbPreset, ZEN5 } from "../host/tlb/mod.ts";
import {
  DESC_INDEX, DESC_INDEX_SHIFT, DESC_LINKS, DESC_TAGS, DESC_WAYS, TAG_INVALID, TLB_L1_4K, TLB_L2_4K, TLB_PWC_PMD,
} from "../host/tlb/tlb_layout.ts";
import { probeSlot } from "../host/tlb/wide_index.ts";
import { createTlbCores } from "./tlb_fixture.ts";

let memory: CoreMemory;
let cores: TlbCore[];

beforeAll(async () => {
  const created = await createTlbCores();
  memory = created.memory;
  cores = [created.wasm, created.ts];
});

/**
 * The wide array at descriptor `offset` of `tlb`, checked: a probe for every tag a way
 * holds finds that way in the slot the way records, and the index holds nothing else.
 * Returns the number of tags held (0 for a narrow or absent array).
 */
function checkWideArray(tlb: TaskTlb, offset: number): number {
  const u32 = memory.u32;
  const w = (tlb.ptr + offset) >>> 2;
  const index = u32[w + DESC_INDEX / 4];
  const ways = u32[w + DESC_WAYS / 4];
  if (index === 0 || ways === 0) return 0;
  const tags = u32[w + DESC_TAGS / 4] >>> 2;
  const shift = u32[w + DESC_INDEX_SHIFT / 4];
  const slots = new Uint16Array(memory.memory.buffer, index, 2 ** (32 - shift));
  const u16 = new Uint16Array(memory.memory.buffer);
  const slotOf = (u32[w + DESC_LINKS / 4] >>> 2) + ways;
  let held = 0;
  for (let way = 0; way < ways; way++) {
    if (u32[tags + way] === TAG_INVALID) continue;
    held++;
    const s = probeSlot(u16, u32, index >>> 1, tags, u32[tags + way], shift);
    expect(u16[(index >>> 1) + s]).toBe(way + 1);
    expect(u32[slotOf + way]).toBe(s);
  }
  expect(slots.reduce((n, e) => n + (e !== 0 ? 1 : 0), 0)).toBe(held);
  return held;
}

const wide: fc.Arbitrary<TlbArray> = fc.integer({ min: 17, max: 200 }).map((ways) => ({ entries: ways, ways }));
const preset: fc.Arbitrary<TlbPreset> = fc.record({ l1: wide, l2: wide, pmd: wide }).map((p) => ({
  ...ZEN5, name: "wide", l1: p.l1, l1Huge: "shared" as const, l2: p.l2,
  pageWalkCaches: { ...ZEN5.pageWalkCaches, pmd: p.pmd },
}));

describe("TaskTlb on wide arrays", () => {
  it("keeps the hash index and each way's slot in step with the ways through misses and invalidations, with the WASM core and the TypeScript twin alike", () => {
    fc.assert(
      fc.property(
        preset, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.integer(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.array(fc.nat(), { maxLength: 30 })), { minLength: 1, maxLength: 4 }),
        (p, huge, seed, steps) => {
          const dir = memory.alloc(huge.length * 4, 64);
          huge.forEach((h, i) => { memory.u32[(dir >>> 2) + i] = h ? PMD.HUGE : 1; });
          const pages = huge.length * 512;
          const region = { dir, firstPmd: 0, offset: 0, length: pages * 4096 };
          const sides = cores.map((core) => ({
            tlb: new TaskTlb(memory, core, p), stream: new AccessStream(memory, region, { kind: "uniform" }, seed),
          }));
          let held = 0;
          for (const [count, flushed] of steps) {
            const [a, b] = sides.map(({ tlb, stream }) => tlb.run(stream, count));
            expect(a).toEqual(b);
            for (const { tlb } of sides) {
              for (const offset of [TLB_L1_4K, TLB_L2_4K, TLB_PWC_PMD]) held += checkWideArray(tlb, offset);
              tlb.invalidatePages(flushed.map((x) => x % pages));
              for (const offset of [TLB_L1_4K, TLB_L2_4K, TLB_PWC_PMD]) checkWideArray(tlb, offset);
            }
          }
          // The check ran on arrays that held something, unless no access was made.
          expect(held > 0).toBe(steps.some(([count]) => count > 0));
        },
      ),
      { numRuns: 150 },
    );
  });
});
