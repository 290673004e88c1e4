/**
 * The cursor walk of `khugepaged_scan_mm_slot()` over one mm, written once: the daemon
 * drives it with the scan core and real collapses, the full-scan summary with outcomes
 * decided beforehand. It charges the budget as the kernel does — 1 for the visit, 1 for
 * each VMA it skips, the variant's charge for each PMD — and stops at the mm's end,
 * when a collapse attempt drops mmap_lock, or when the budget is spent.
 */
import { ScanResult } from "../core/scan_result.ts";
import { PMD_SIZE } from "../mm/vma.ts";

/** A VMA as the walk sees it: its end, whether khugepaged may scan it, and its PMD-aligned range. */
export interface SlotVma {
  readonly end: number;
  readonly hstart: number;
  readonly hend: number;
}

/** Bits of the word a PMD step returns: its result, PTEs examined, and whether a collapse was attempted. */
export const PMD_STEP = { RESULT_MASK: 0xff, EXAMINED_SHIFT: 8, EXAMINED_MASK: 0x3ff, LOCK_DROPPED: 1 << 30 } as const;

/** The step word of a PMD whose scan ended with `result` after `examined` PTEs, with no collapse attempted. */
export function stepWord(result: number, examined: number, lockDropped = false): number {
  return (result | (examined << PMD_STEP.EXAMINED_SHIFT) | (lockDropped ? PMD_STEP.LOCK_DROPPED : 0)) >>> 0;
}

/** Where a walk stopped. */
export const WALK_END = {
  /** Past the last VMA: the cursor leaves the mm. */
  MM: 0,
  /** A collapse attempt dropped mmap_lock: the call ends, the cursor stays after that PMD. */
  LOCK_DROPPED: 1,
  /** The budget is spent: the cursor stays. */
  BUDGET: 2,
} as const;

/** The cursor and budget a walk moves; `vma` is where to look first (VMAs before it end at or below `address`). */
export interface SlotWalk {
  address: number;
  vma: number;
  progress: number;
  readonly budget: number;
  /** Result of the last PMD decided (its final status), SCAN_FAIL before any. */
  result: number;
}

/**
 * Walk `vmas` from `w.address`, skipping (and charging 1 for) VMAs `eligible` refuses and
 * ones wholly behind the cursor; for each PMD call `pmd(vmaIndex, address, hend)`, which
 * returns a step word (PMD_STEP), and charge `charge(ptesExamined)`. The caller has
 * charged the visit, and checked that the mm is live. Returns a WALK_END value.
 */
export function walkMmSlot(
  vmas: readonly SlotVma[], eligible: (i: number) => boolean, w: SlotWalk,
  charge: (ptesExamined: number) => number, pmd: (vma: number, address: number, hend: number) => number,
): number {
  for (; w.vma < vmas.length; w.vma++) {
    const vma = vmas[w.vma];
    if (vma.end <= w.address) continue;
    if (!eligible(w.vma) || w.address > vma.hend) {
      w.progress++;
      continue;
    }
    if (w.address < vma.hstart) w.address = vma.hstart;
    while (w.address < vma.hend) {
      const step = pmd(w.vma, w.address, vma.hend);
      w.result = step & PMD_STEP.RESULT_MASK;
      w.address += PMD_SIZE;
      w.progress += charge((step >>> PMD_STEP.EXAMINED_SHIFT) & PMD_STEP.EXAMINED_MASK);
      if ((step & PMD_STEP.LOCK_DROPPED) !== 0) return WALK_END.LOCK_DROPPED;
      if (w.progress >= w.budget) return WALK_END.BUDGET;
    }
  }
  return WALK_END.MM;
}

/** A fresh walk of one call from `address` with `progress` already charged against `budget`. */
export function slotWalk(address: number, progress: number, budget: number): SlotWalk {
  return { address, vma: 0, progress, budget, result: ScanResult.FAIL };
}
