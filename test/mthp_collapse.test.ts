/**
 * The decision half of khugepaged's mTHP collapse (v18 of the series):
 * collapse_max_ptes_none() per order, and mthp_collapse()'s walk and outcome handling over
 * windows judged as the TS scan twin judges them (host/core/occupancy.ts; the scan-core
 * suites hold the bitmap and the judgement on every core).
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { OCCUPANCY } from "../host/core/layout.ts";
import { collapseMaxPtesNone, maxPtesNoneFallsBack, windowNeeds, windowQualifies, writeWindows } from "../host/core/occupancy.ts";
import { ScanResult } from "../host/core/scan_result.ts";
import { afterAttempt, mthpCollapse, type MthpWalk } from "../host/khugepaged/mthp_collapse.ts";
import type { MaxNoneRule } from "../host/kernel/variant.ts";

const S = ScanResult;
const ALL_MTHP = 0b11_1111_1100; // orders 2 … 9

/** A bitmap with the PTEs in `occupied` set. */
function bitmapOf(occupied: Iterable<number>): Uint32Array {
  const b = new Uint32Array(512 / 32);
  for (const i of occupied) b[i >>> 5] |= 1 << (i & 31);
  return b;
}

/** Set bits of `bitmap` in PTEs [offset, offset + n). */
function countOccupied(bitmap: Uint32Array, offset: number, n: number): number {
  let count = 0;
  for (let i = offset; i < offset + n; i++) count += (bitmap[i >>> 5] >>> (i & 31)) & 1;
  return count;
}

/** mthpCollapse() over the windows of `bitmap`, judged as the TS scan twin judges them. */
function walk(
  bitmap: Uint32Array, orders: number, sysfs: number, rule: MaxNoneRule, collapse: (offset: number, order: number) => number,
): MthpWalk {
  const record = new Uint32Array(OCCUPANCY.BYTES / 4);
  record.set(bitmap, OCCUPANCY.BITMAP / 4);
  writeWindows(record, 0, windowNeeds(sysfs, rule));
  return mthpCollapse((offset, order) => windowQualifies(record, 0, offset, order), orders, sysfs, rule, collapse);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("collapseMaxPtesNone()", () => {
  test("the PMD order takes the sysfs value; mTHP orders take 0 as 0 and 511 as 2^o − 1", () => {
    for (const v of [0, 64, 300, 511]) expect(collapseMaxPtesNone(9, v)).toBe(v);
    for (let o = 2; o < 9; o++) {
      expect(collapseMaxPtesNone(o, 0)).toBe(0);
      expect(collapseMaxPtesNone(o, 511)).toBe((1 << o) - 1);
    }
  });

  // v18 (mm-unstable, 22 May 2026): collapse_max_ptes_none() returns 0 for any other value
  // and warns once ("defaulting to 0"); v17 returned -EINVAL (SCAN_INVALID_PTES_NONE).
  test("the merged rule falls back to 0 for any other value at an mTHP order; the scaled rule shifts it by PMD_ORDER − o", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 510 }), fc.integer({ min: 2, max: 8 }), (v, o) => {
      expect(collapseMaxPtesNone(o, v, "merged")).toBe(0);
      expect(maxPtesNoneFallsBack(o, v, "merged")).toBe(true);
      expect(collapseMaxPtesNone(o, v, "scaled")).toBe(Math.floor(v / 2 ** (9 - o)));
      expect(maxPtesNoneFallsBack(o, v, "scaled")).toBe(false);
    }));
    for (const v of [0, 511]) for (let o = 2; o <= 9; o++) expect(maxPtesNoneFallsBack(o, v, "merged")).toBe(false);
    expect(maxPtesNoneFallsBack(9, 300, "merged")).toBe(false);
  });
});

describe("afterAttempt()", () => {
  test("SUCCEED and PTE_MAPPED_HUGEPAGE move to the next window, failures a smaller folio may avoid split it, the rest stop", () => {
    expect(afterAttempt(S.SUCCEED)).toBe("next-window");
    expect(afterAttempt(S.PTE_MAPPED_HUGEPAGE)).toBe("next-window");
    for (const r of [S.ALLOC_HUGE_PAGE_FAIL, S.EXCEED_NONE_PTE, S.EXCEED_SWAP_PTE, S.EXCEED_SHARED_PTE, S.LACK_REFERENCED_PAGE,
      S.PAGE_LOCK, S.PAGE_COUNT, S.PAGE_NULL, S.DEL_PAGE_LRU, S.PTE_NON_PRESENT, S.PTE_UFFD_WP, S.PAGE_LAZYFREE]) {
      expect(afterAttempt(r)).toBe("smaller");
    }
    for (const r of [S.PMD_MAPPED, S.ANY_PROCESS, S.VMA_CHECK, S.ADDRESS_RANGE, S.FAIL]) expect(afterAttempt(r)).toBe("stop");
  });
});

describe("mthpCollapse()", () => {
  const succeed = () => S.SUCCEED;

  test("with only the PMD order enabled it is the legacy path: one attempt at offset 0, order 9", () => {
    const w = walk(bitmapOf(range(0, 40)), 1 << 9, 511, "merged", succeed);
    expect(w.attempts).toEqual([{ offset: 0, order: 9, result: S.SUCCEED }]);
    expect(w.collapsed).toBe(512);
  });

  test("max_ptes_none 0 collapses only full windows, each at the largest enabled order that fits", () => {
    // PTEs 0-63 full, 64-79 full, 80-87 half: with 64K and 256K enabled.
    const w = walk(bitmapOf([...range(0, 80), ...range(80, 84)]), (1 << 4) | (1 << 6), 0, "merged", succeed);
    expect(w.attempts.map((a) => [a.offset, a.order])).toEqual([[0, 6], [64, 4]]);
    expect(w.collapsed).toBe(64 + 16);
  });

  test("a failure a smaller order may avoid tries the halves; PTE_MAPPED_HUGEPAGE does not; a stop result ends the walk", () => {
    const full = bitmapOf(range(0, 512));
    const halves = walk(full, (1 << 9) | (1 << 8), 511, "merged", (_o, order) => order === 9 ? S.ALLOC_HUGE_PAGE_FAIL : S.SUCCEED);
    expect(halves.attempts.map((a) => [a.offset, a.order])).toEqual([[0, 9], [0, 8], [256, 8]]);
    expect(halves.collapsed).toBe(512);
    const mapped = walk(full, ALL_MTHP, 511, "merged", () => S.PTE_MAPPED_HUGEPAGE);
    expect(mapped.attempts).toHaveLength(1);
    expect(mapped.collapsed).toBe(0);
    const stop = walk(full, ALL_MTHP, 511, "merged", (_o, order) => order === 9 ? S.EXCEED_NONE_PTE : S.VMA_CHECK);
    expect(stop.attempts.map((a) => [a.offset, a.order])).toEqual([[0, 9], [0, 8]]);
  });

  test("another sysfs max_ptes_none keeps its value for the PMD order and falls back to 0 for mTHP orders, with the warning", () => {
    // 128 PTEs: short of the PMD's 512 − 300; the full first 128 collapse as order 7, as at 0.
    const w = walk(bitmapOf(range(0, 128)), ALL_MTHP, 300, "merged", succeed);
    expect(w.maxPtesNoneFellBack).toBe(true);
    expect(w.attempts.map((a) => [a.offset, a.order])).toEqual([[0, 7]]);
    expect(w.attempts).toEqual(walk(bitmapOf(range(0, 128)), ALL_MTHP, 0, "merged", succeed).attempts);
    // Windows short of full at 300 collapse nothing below the PMD order.
    expect(walk(bitmapOf(range(0, 100)), ALL_MTHP & ~(1 << 9), 300, "merged", succeed).attempts
      .map((a) => [a.offset, a.order])).toEqual([[0, 6], [64, 5], [96, 2]]);
    const pmd = walk(bitmapOf(range(0, 212)), ALL_MTHP, 300, "merged", succeed);
    expect(pmd.attempts.map((a) => a.order)).toEqual([9]);
    expect(pmd.maxPtesNoneFellBack).toBe(false); // the PMD collapse ends the walk before any mTHP order
  });

  test("a swap PTE counts against every window holding it: at max_ptes_none 0 only the windows around it collapse", () => {
    // PTE 100 is a swap entry (no bit); everything else maps a page. Kernel: mthp_collapse()
    // counts bitmap_weight_and() of the window against 2^o − max_ptes_none.
    const w = walk(bitmapOf(range(0, 512).filter((i) => i !== 100)), ALL_MTHP, 0, "merged", succeed);
    expect(w.attempts.map((a) => [a.offset, a.order])).toEqual([
      [0, 6], [64, 5], [96, 2], [104, 3], [112, 4], [128, 7], [256, 8],
    ]);
    expect(w.collapsed).toBe(508);
  });

  test("every attempt is an enabled, aligned window that qualifies, no two overlap, and max_ptes_none 0 covers every full order-2 window", () => {
    const arb = fc.record({
      occupied: fc.uniqueArray(fc.integer({ min: 0, max: 511 }), { maxLength: 512 }),
      orders: fc.integer({ min: 1, max: 255 }).map((m) => m << 2),
      sysfs: fc.constantFrom(0, 511, 300),
      rule: fc.constantFrom<MaxNoneRule>("merged", "scaled"),
    });
    fc.assert(fc.property(arb, ({ occupied, orders, sysfs, rule }) => {
      const bits = bitmapOf(occupied);
      const w = walk(bits, orders, sysfs, rule, succeed);
      const covered = new Uint8Array(512);
      for (const { offset, order } of w.attempts) {
        const n = 1 << order;
        expect((orders >>> order) & 1).toBe(1);
        expect(offset % n).toBe(0);
        expect(countOccupied(bits, offset, n)).toBeGreaterThanOrEqual(n - collapseMaxPtesNone(order, sysfs, rule));
        for (let i = offset; i < offset + n; i++) expect(covered[i]++).toBe(0);
      }
      if (sysfs === 0 && (orders & 4) !== 0) {
        for (let o = 0; o < 512; o += 4) if (countOccupied(bits, o, 4) === 4) expect(covered[o]).toBe(1);
      }
    }));
  });
});

describe("creep", () => {
  /**
   * Passes of khugepaged over one PMD: each collapse fills its window (the new folio maps
   * every PTE of it) and a window already inside a folio of its order or larger is
   * PTE_MAPPED_HUGEPAGE. Returns the largest folio in PTEs (0: none) after each pass.
   */
  function passes(start: number[], sysfs: number, rule: MaxNoneRule, n: number): number[] {
    const bits = bitmapOf(start);
    const folioOrder = new Int8Array(512).fill(-1);
    const out: number[] = [];
    for (let p = 0; p < n; p++) {
      // Orders 2 … 8: the PMD size is left off so that growth is mTHP-only.
      walk(bits, ALL_MTHP & ~(1 << 9), sysfs, rule, (offset, order) => {
        if (folioOrder[offset] >= order) return S.PTE_MAPPED_HUGEPAGE;
        for (let i = offset; i < offset + (1 << order); i++) {
          bits[i >>> 5] |= 1 << (i & 31);
          folioOrder[i] = order;
        }
        return S.SUCCEED;
      });
      const largest = Math.max(...folioOrder);
      out.push(largest < 0 ? 0 : 1 << largest);
    }
    return out;
  }

  test("the scaled rule with max_ptes_none 384 grows 16 KiB of pages into a 64 KiB folio, then 256 KiB, then 1 MiB", () => {
    expect(passes(range(0, 4), 384, "scaled", 4)).toEqual([16, 64, 256, 256]);
  });

  test("the merged rule stops it: 384 acts as 0 and keeps the 16 KiB folio, 511 goes to the largest size at once", () => {
    expect(passes(range(0, 4), 384, "merged", 3)).toEqual([4, 4, 4]);
    expect(passes(range(0, 4), 0, "merged", 3)).toEqual([4, 4, 4]);
    expect(passes(range(0, 4), 511, "merged", 3)).toEqual([256, 256, 256]);
  });
});
