/**
 * The collapse counters under /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/stats/
 * that the mTHP collapse series adds (`count_mthp_stat()` with MTHP_STAT_COLLAPSE_*):
 * per size, for every order khugepaged collapses to, the PMD size included; the global
 * vmstat counters stay PMD-only.
 */
import { ScanResult } from "../core/scan_result.ts";
import { orderSizeKb, type ThpSizeKb, THP_SIZES_KB } from "./thp_sizes.ts";

/** The files, by their names under stats/. */
export const MTHP_COLLAPSE_STATS = [
  "collapse_alloc", "collapse_alloc_failed", "collapse_exceed_none_pte", "collapse_exceed_swap_pte",
  "collapse_exceed_shared_pte",
] as const;
export type MthpCollapseStat = (typeof MTHP_COLLAPSE_STATS)[number];

export type MthpStats = Record<ThpSizeKb, Record<MthpCollapseStat, number>>;

/** Every counter of every size at 0. */
export function emptyMthpStats(): MthpStats {
  const s = {} as MthpStats;
  for (const kb of THP_SIZES_KB) {
    s[kb] = Object.fromEntries(MTHP_COLLAPSE_STATS.map((n) => [n, 0])) as Record<MthpCollapseStat, number>;
  }
  return s;
}

/** The counter each threshold result carries. */
export const EXCEED_STATS: ReadonlyMap<number, MthpCollapseStat> = new Map([
  [ScanResult.EXCEED_NONE_PTE, "collapse_exceed_none_pte"], [ScanResult.EXCEED_SWAP_PTE, "collapse_exceed_swap_pte"],
  [ScanResult.EXCEED_SHARED_PTE, "collapse_exceed_shared_pte"],
] as const);

/** `count_mthp_stat(order, stat)`. */
export function countMthpStat(stats: MthpStats, order: number, stat: MthpCollapseStat): void {
  stats[orderSizeKb(order)][stat]++;
}
