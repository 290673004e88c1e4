/**
 * The kernel's `enum scan_result` (Linux 7.1 order, include/trace/events/huge_memory.h
 * `SCAN_STATUS`) with its trace strings. This is the only copy: the WASM core's
 * constants are generated from it, and traces, counters and reports read it.
 */
export const SCAN_RESULTS = [
  ["SCAN_FAIL", "failed"],
  ["SCAN_SUCCEED", "succeeded"],
  ["SCAN_NO_PTE_TABLE", "no_pte_table"],
  ["SCAN_PMD_MAPPED", "page_pmd_mapped"],
  ["SCAN_EXCEED_NONE_PTE", "exceed_none_pte"],
  ["SCAN_EXCEED_SWAP_PTE", "exceed_swap_pte"],
  ["SCAN_EXCEED_SHARED_PTE", "exceed_shared_pte"],
  ["SCAN_PTE_NON_PRESENT", "pte_non_present"],
  ["SCAN_PTE_UFFD_WP", "pte_uffd_wp"],
  ["SCAN_PTE_MAPPED_HUGEPAGE", "pte_mapped_hugepage"],
  ["SCAN_LACK_REFERENCED_PAGE", "lack_referenced_page"],
  ["SCAN_PAGE_NULL", "page_null"],
  ["SCAN_SCAN_ABORT", "scan_aborted"],
  ["SCAN_PAGE_COUNT", "not_suitable_page_count"],
  ["SCAN_PAGE_LRU", "page_not_in_lru"],
  ["SCAN_PAGE_LOCK", "page_locked"],
  ["SCAN_PAGE_ANON", "page_not_anon"],
  ["SCAN_PAGE_LAZYFREE", "page_lazyfree"],
  ["SCAN_PAGE_COMPOUND", "page_compound"],
  ["SCAN_ANY_PROCESS", "no_process_for_page"],
  ["SCAN_VMA_NULL", "vma_null"],
  ["SCAN_VMA_CHECK", "vma_check_failed"],
  ["SCAN_ADDRESS_RANGE", "not_suitable_address_range"],
  ["SCAN_DEL_PAGE_LRU", "could_not_delete_page_from_lru"],
  ["SCAN_ALLOC_HUGE_PAGE_FAIL", "alloc_huge_page_failed"],
  ["SCAN_CGROUP_CHARGE_FAIL", "ccgroup_charge_failed"],
  ["SCAN_TRUNCATED", "truncated"],
  ["SCAN_PAGE_HAS_PRIVATE", "page_has_private"],
  ["SCAN_STORE_FAILED", "store_failed"],
  ["SCAN_COPY_MC", "copy_poisoned_page"],
  ["SCAN_PAGE_FILLED", "page_filled"],
  ["SCAN_PAGE_DIRTY_OR_WRITEBACK", "page_dirty_or_writeback"],
] as const;

export type ScanResultName = (typeof SCAN_RESULTS)[number][0];

/** Numeric value of each result, as bpftrace on a 7.1 kernel sees it. */
export const ScanResult = Object.fromEntries(
  SCAN_RESULTS.map(([name], i) => [name.slice("SCAN_".length), i]),
) as { readonly [K in ScanResultName as K extends `SCAN_${infer R}` ? R : never]: number };

/** The 7.1 trace string of a result code. */
export function scanResultTrace(code: number): string {
  const row = SCAN_RESULTS[code];
  if (row === undefined) throw new RangeError(`Unknown scan result code ${code}`);
  return row[1];
}

/** The `SCAN_*` name of a result code. */
export function scanResultName(code: number): ScanResultName {
  const row = SCAN_RESULTS[code];
  if (row === undefined) throw new RangeError(`Unknown scan result code ${code}`);
  return row[0];
}
