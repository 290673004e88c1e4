/**
 * The per-order half of the mTHP scan (Nico Pache's series as in mm-unstable from v18 of
 * 22 May 2026, aimed at Linux 7.2), in TypeScript: `collapse_max_ptes_none()` and the judgement of every
 * aligned window of a PMD against it, written as the OCCUPANCY record's window tree.
 * The TS scan twin (scan_ref.ts) calls it; assembly/occupancy.ts is its WASM twin.
 */
import { OCCUPANCY, PTES_PER_PMD } from "./layout.ts";

/**
 * Which per-order `max_ptes_none` rule the kernel applies: `merged` is the series' v18
 * (an mTHP order takes 0 or 511, and any other value as 0); `scaled`
 * is the earlier postings' `max_ptes_none >> (PMD_ORDER − o)`, which lets a collapse at
 * order o make the window of order o + 1 qualify on the next scan ("creep").
 */
export type MaxNoneRule = "merged" | "scaled";

/** HPAGE_PMD_ORDER. */
const PMD_ORDER = Math.log2(PTES_PER_PMD);
/** KHUGEPAGED_MAX_PTES_LIMIT: HPAGE_PMD_NR − 1. */
const MAX_PTES_LIMIT = PTES_PER_PMD - 1;
/** Windows of orders MIN_ORDER … PMD_ORDER, as tree nodes 1 … 2^(PMD_ORDER − MIN_ORDER + 1) − 1. */
const LEAVES = PTES_PER_PMD >> OCCUPANCY.MIN_ORDER;

/**
 * `collapse_max_ptes_none()` for khugepaged at `order` with the sysfs value `sysfs`: the
 * largest number of none or zero PTEs a window may hold. Under the merged rule an mTHP
 * order takes 0 as 0 and 511 as 2^o − 1; any other value falls back to 0 (v18 of the
 * series; v15–v17 refused the value and collapsed no mTHP at all).
 */
export function collapseMaxPtesNone(order: number, sysfs: number, rule: MaxNoneRule = "merged"): number {
  if (order === PMD_ORDER) return sysfs;
  if (rule === "scaled") return sysfs >> (PMD_ORDER - order);
  return sysfs === MAX_PTES_LIMIT ? (1 << order) - 1 : 0;
}

/** Whether `collapseMaxPtesNone()` replaced `sysfs` by 0 at `order`: the kernel's one-time warning. */
export function maxPtesNoneFallsBack(order: number, sysfs: number, rule: MaxNoneRule): boolean {
  return order !== PMD_ORDER && rule === "merged" && sysfs !== 0 && sysfs !== MAX_PTES_LIMIT;
}

/**
 * The fewest occupied PTEs a window of each order needs (index = order, MIN_ORDER …
 * PMD_ORDER): `mthp_collapse()`'s `2^o − max_ptes_none(o)`.
 */
export function windowNeeds(sysfs: number, rule: MaxNoneRule): Uint32Array {
  const needs = new Uint32Array(PMD_ORDER + 1);
  for (let o = OCCUPANCY.MIN_ORDER; o <= PMD_ORDER; o++) {
    needs[o] = Math.max(0, (1 << o) - collapseMaxPtesNone(o, sysfs, rule));
  }
  return needs;
}

/** Occupied PTEs of each window of the order being judged, reused between PMDs. */
const counts = new Uint32Array(LEAVES);

/** The count of set bits of a nibble. */
const nibbleWeight = (x: number): number => (x & 1) + ((x >>> 1) & 1) + ((x >>> 2) & 1) + ((x >>> 3) & 1);

/**
 * Judge every aligned window of the bitmap of the occupancy record at byte offset `occ`
 * and write its WINDOWS tree: counts per smallest window, then each order's counts as
 * the sums of its halves, bottom up.
 */
export function writeWindows(u32: Uint32Array, occ: number, needs: Uint32Array): void {
  const bitmap = (occ + OCCUPANCY.BITMAP) >>> 2, tree = (occ + OCCUPANCY.WINDOWS) >>> 2;
  u32.fill(0, tree, tree + LEAVES * 2 / 32);
  for (let x = 0; x < LEAVES; x++) counts[x] = nibbleWeight((u32[bitmap + (x >>> 3)] >>> ((x & 7) * 4)) & 0xf);
  for (let o = OCCUPANCY.MIN_ORDER, windows = LEAVES; o <= PMD_ORDER; o++, windows >>= 1) {
    if (o > OCCUPANCY.MIN_ORDER) for (let x = 0; x < windows; x++) counts[x] = counts[2 * x] + counts[2 * x + 1];
    for (let x = 0; x < windows; x++) {
      const node = windows + x;
      if (counts[x] >= needs[o]) u32[tree + (node >>> 5)] |= 1 << (node & 31);
    }
  }
}

/** Whether the window of `order` at PTE `offset` qualifies, by the tree at byte offset `occ`. */
export function windowQualifies(u32: Uint32Array, occ: number, offset: number, order: number): boolean {
  const node = (PTES_PER_PMD >> order) + (offset >> order);
  return ((u32[((occ + OCCUPANCY.WINDOWS) >>> 2) + (node >>> 5)] >>> (node & 31)) & 1) === 1;
}
