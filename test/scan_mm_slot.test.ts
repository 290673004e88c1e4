/** walkMmSlot(): khugepaged_scan_mm_slot()'s cursor walk, on hand-made VMAs and PMD outcomes. */
import { describe, expect, test } from "vitest";
import { ScanResult } from "../host/core/scan_result.ts";
import { slotWalk, stepWord, WALK_END, walkMmSlot } from "../host/khugepaged/scan_mm_slot.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";

const M = PMD_SIZE;
/** VMAs: [0, 3M) one PMD range [0, 3M); [3.5M, 4.5M) no whole PMD; [6M, 8M). */
const VMAS = [
  { end: 3 * M, hstart: 0, hend: 3 * M },
  { end: 4.5 * M, hstart: 4 * M, hend: 4 * M },
  { end: 8 * M, hstart: 6 * M, hend: 8 * M },
];

/** Walk with every PMD ending in `result` after `examined` PTEs; the addresses visited. */
function walk(budget: number, o: { eligible?: (i: number) => boolean; result?: number; from?: number; lockAt?: number } = {}) {
  const seen: number[] = [];
  const w = slotWalk(o.from ?? 0, 1, budget);
  const end = walkMmSlot(VMAS, o.eligible ?? (() => true), w, (n) => n, (_i, address) => {
    seen.push(address / M);
    return stepWord(o.result ?? ScanResult.EXCEED_NONE_PTE, 10, address === o.lockAt);
  });
  return { end, seen, w };
}

describe("walkMmSlot()", () => {
  test("visits every PMD of the eligible VMAs in order; a VMA with no whole PMD ahead of the cursor costs nothing", () => {
    const { end, seen, w } = walk(Infinity);
    expect(end).toBe(WALK_END.MM);
    expect(seen).toEqual([0, 1, 2, 6, 7]);
    // 1 (the visit) + 5 PMDs × 10.
    expect(w.progress).toBe(1 + 50);
    expect(w.result).toBe(ScanResult.EXCEED_NONE_PTE);
  });

  test("charges 1 for a VMA whose PMD range is wholly behind the cursor (address > hend)", () => {
    const { seen, w } = walk(Infinity, { from: 4.25 * M });
    expect(seen).toEqual([6, 7]);
    expect(w.progress).toBe(1 + 1 + 20);
  });

  test("charges 1 for an ineligible VMA and scans none of its PMDs", () => {
    const { seen, w } = walk(Infinity, { eligible: (i) => i !== 0 });
    expect(seen).toEqual([6, 7]);
    expect(w.progress).toBe(1 + 1 + 20);
  });

  test("stops once the budget is spent, with the cursor after the last PMD charged", () => {
    const { end, seen, w } = walk(25);
    expect(end).toBe(WALK_END.BUDGET);
    expect(seen).toEqual([0, 1, 2]);
    expect(w.address).toBe(3 * M);
  });

  test("ends the call after a collapse attempt drops mmap_lock; the next call resumes after that PMD", () => {
    const first = walk(Infinity, { lockAt: M });
    expect(first.end).toBe(WALK_END.LOCK_DROPPED);
    expect(first.seen).toEqual([0, 1]);
    const next = walk(Infinity, { from: first.w.address });
    expect(next.seen).toEqual([2, 6, 7]);
  });
});
