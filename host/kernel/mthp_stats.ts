/**
 * The counters under /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/stats/ that
 * khugesim keeps (`count_mthp_stat()`), per size, the PMD size included: the anonymous
 * fault counters (since 6.8; `anon_fault_fallback_charge` is left out, as khugesim has
 * no memory cgroup whose charge could fail) and the collapse counters the mTHP collapse
 * series adds. The global vmstat counters stay PMD-only.
 */
import { ScanResult } from "../core/scan_result.ts";
import { orderSizeKb, type ThpSizeKb, THP_SIZES_KB } from "./thp_sizes.ts";

/** The fault counters, by their names under stats/: MTHP_STAT_ANON_FAULT_{ALLOC,FALLBACK}. */
const MTHP_FAULT_STATS = ["anon_fault_alloc", "anon_fault_fallback"] as const;
type MthpFaultStat = (typeof MTHP_FAULT_STATS)[number];

/** The collapse counters, by their names under stats/. */
export const MTHP_COLLAPSE_STATS = [
  "collapse_alloc", "collapse_alloc_failed", "collapse_exceed_none_pte", "collapse_exceed_swap_pte",
  "collapse_exceed_shared_pte",
] as const;
export type MthpCollapseStat = (typeof MTHP_COLLAPSE_STATS)[number];

/** Every counter kept, in the order the kernel lists them under stats/. */
export type MthpStat = MthpFaultStat | MthpCollapseStat;
const MTHP_STATS: readonly MthpStat[] = [...MTHP_FAULT_STATS, ...MTHP_COLLAPSE_STATS];

export type MthpStats = Record<ThpSizeKb, Record<MthpStat, number>>;

/** Every counter of every size at 0. */
export function emptyMthpStats(): MthpStats {
  const s = {} as MthpStats;
  for (const kb of THP_SIZES_KB) {
    s[kb] = Object.fromEntries(MTHP_STATS.map((n) => [n, 0])) as Record<MthpStat, number>;
  }
  return s;
}

/** The counter each threshold result carries. */
export const EXCEED_STATS: ReadonlyMap<number, MthpCollapseStat> = new Map([
  [ScanResult.EXCEED_NONE_PTE, "collapse_exceed_none_pte"], [ScanResult.EXCEED_SWAP_PTE, "collapse_exceed_swap_pte"],
  [ScanResult.EXCEED_SHARED_PTE, "collapse_exceed_shared_pte"],
] as const);

/** `count_mthp_stat(order, stat)`. */
export function countMthpStat(stats: MthpStats, order: number, stat: MthpStat): void {
  stats[orderSizeKb(order)][stat]++;
}
