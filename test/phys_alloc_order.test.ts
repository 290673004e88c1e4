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

test("allocOrder() serves the runs above a block's unmovable page, and the holes below it in the smallest buddy first", () => {
  const p = new PhysMem({ totalBytes: 2 * 2 ** 21, fragmentation: 1, seed: 1 });
  // Both blocks hold an unmovable page at slot 0: no whole block is left.
  expect(p.freeHugeBlocks).toBe(0);
  expect([p.allocOrder(8), p.allocOrder(8), p.allocOrder(8)]).toEqual([256, 768, -1]);
  expect(p.freePages).toBe(2 * 512 - 2 - 2 * 256);
  // Slots 4-7 are each block's free buddy of order 2: block 0's, then block 1's rather
  // than splitting block 0's order-3 buddy at slot 8.
  expect([p.allocOrder(2), p.allocOrder(2), p.allocOrder(2)]).toEqual([4, 516, 8]);
});

test("allocOrder() fails with -1 when free pages are left but no aligned run of the order is, and succeeds once freed pages pair up", () => {
  const p = new PhysMem({ totalBytes: 2 * 2 ** 21, fragmentation: 0, seed: 1 });
  for (let i = 0; i < 1023; i++) p.allocPage();
  expect(p.freePages).toBe(0);
  // Every odd page of block 1 freed: 256 free pages, no two of them a buddy pair.
  for (let pfn = 513; pfn < 1024; pfn += 2) p.freePage(pfn);
  expect(p.freePages).toBe(256);
  expect([1, 2, 8].map((o) => p.allocOrder(o))).toEqual([-1, -1, -1]);
  p.freePage(516);
  p.freePage(518);
  expect(p.allocOrder(1)).toBe(516);
  expect(p.allocOrder(2)).toBe(-1);
});

/** The orders and starts of the free buddies of 512-page block `b`, with `free(pfn)` telling a free page. */
function freeBuddies(b: number, free: (pfn: number) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const runFree = (start: number, order: number) => {
    for (let i = 0; i < 1 << order; i++) if (!free(b * 512 + start + i)) return false;
    return true;
  };
  for (let order = 0; order <= 9; order++) {
    for (let start = 0; start < 512; start += 1 << order) {
      const parent = start & ~((2 << order) - 1);
      if (runFree(start, order) && (order === 9 || !runFree(parent, order + 1))) out.push([order, b * 512 + start]);
    }
  }
  return out;
}

test("allocOrder() takes its run from a free buddy of the smallest order that fits, and fails only when no block has one (random alloc/free)", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("page" as const) }),
    fc.record({ kind: fc.constant("order" as const), order: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
    const blocks = 4;
    const p = new PhysMem({ totalBytes: blocks * 2 ** 21, fragmentation: 0, seed: 1 });
    const used = new Set<number>([0]);
    const pages: number[] = [];
    const free = (pfn: number) => !used.has(pfn);
    for (const o of ops) {
      if (o.kind === "page") {
        const pfn = p.allocPage();
        if (pfn >= 0) {
          expect(used.has(pfn)).toBe(false);
          used.add(pfn);
          pages.push(pfn);
        }
      } else if (o.kind === "free") {
        if (pages.length === 0) continue;
        const [pfn] = pages.splice(o.pick % pages.length, 1);
        p.freePage(pfn);
        used.delete(pfn);
      } else {
        const buddies = Array.from({ length: blocks }, (_, b) => freeBuddies(b, free)).flat().filter(([c]) => c >= o.order);
        const head = p.allocOrder(o.order);
        if (buddies.length === 0) {
          expect(head).toBe(-1);
          continue;
        }
        const smallest = Math.min(...buddies.map(([c]) => c));
        expect(buddies.some(([c, start]) => c === smallest && head >= start && head + (1 << o.order) <= start + (1 << c))).toBe(true);
        for (let i = 0; i < 1 << o.order; i++) {
          used.add(head + i);
          pages.push(head + i);
        }
      }
      expect(p.freePages).toBe(blocks * 512 - used.size);
    }
  }), { numRuns: 60 });
});
