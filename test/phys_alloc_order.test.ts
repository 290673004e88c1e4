/** PhysMem.allocOrder(): naturally aligned runs of 2^order base pages for mTHP folios. */
import { expect, test } from "vitest";
import fc from "fast-check";
import { PhysMem } from "../host/mm/phys_mem.ts";

test("allocOrder() hands out aligned, disjoint runs, takes them from partly used blocks first, and freeing them gives every page back", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 2, max: 8 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 5 }), (orders, singles) => {
    const p = new PhysMem({ totalBytes: 16 * 2 ** 21, fragmentation: 0, seed: 1 });
    const used = new Set<number>();
    for (let i = 0; i < singles; i++) used.add(p.allocPage());
    const wholeBefore = p.freeHugeBlocks;
    const runs: Array<[number, number]> = [];
    for (const o of orders) {
      const head = p.allocOrder(o);
      expect(head).toBeGreaterThan(0);
      expect(head % (1 << o)).toBe(0);
      for (let i = 0; i < 1 << o; i++) {
        expect(used.has(head + i)).toBe(false);
        used.add(head + i);
      }
      runs.push([head, o]);
    }
    expect(p.freePages).toBe(p.totalPages - 1 - used.size);
    // 40 runs of at most 1 MiB fit in 16 blocks only if partly used blocks are filled first.
    expect(wholeBefore - p.freeHugeBlocks).toBeLessThanOrEqual(Math.ceil(used.size / 512) + 1);
    for (const [head, o] of runs) for (let i = 0; i < 1 << o; i++) p.freePage(head + i);
    expect(p.freePages).toBe(p.totalPages - 1 - singles);
  }));
});

test("allocOrder() fails with -1 when no block has an aligned run free; a block with an unmovable page still serves the runs above it", () => {
  const p = new PhysMem({ totalBytes: 2 * 2 ** 21, fragmentation: 1, seed: 1 });
  // Both blocks hold an unmovable page at slot 0: no whole block is left.
  expect(p.freeHugeBlocks).toBe(0);
  expect([p.allocOrder(8), p.allocOrder(8), p.allocOrder(8)]).toEqual([256, 768, -1]);
  // The slots skipped for alignment are still free base pages.
  expect(p.freePages).toBe(2 * 512 - 2 - 2 * 256);
  expect(p.allocOrder(2)).toBe(-1);
  expect(p.allocPage()).toBeGreaterThan(0);
});
