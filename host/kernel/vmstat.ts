/** The /proc/vmstat counters khugepaged, MADV_FREE and reclaim touch, by their kernel names. */
export const VMSTAT_COUNTERS = [
  "thp_fault_alloc",
  "thp_fault_fallback",
  "thp_collapse_alloc",
  "thp_collapse_alloc_failed",
  "thp_scan_exceed_none_pte",
  "thp_scan_exceed_swap_pte",
  "thp_scan_exceed_share_pte",
  "thp_split_pmd",
  "thp_zero_page_alloc",
  "thp_zero_page_alloc_failed",
  "pglazyfree",
  "pglazyfreed",
  "pswpin",
  "pswpout",
] as const;

export type VmstatCounter = (typeof VMSTAT_COUNTERS)[number];
export type Vmstat = Record<VmstatCounter, number>;

/** All counters at zero. */
export function emptyVmstat(): Vmstat {
  return Object.fromEntries(VMSTAT_COUNTERS.map((k) => [k, 0])) as Vmstat;
}
