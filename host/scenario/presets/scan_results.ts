/**
 * One small scenario per anonymous scan result, in the manner of the kernel's
 * tools/testing/selftests/mm/khugepaged.c: one 2 MiB region set up so that khugepaged's
 * single pass over it ends with that result. Each runs 5 s, less than
 * scan_sleep_millisecs, so the trace holds exactly one pass.
 *
 * Results the model cannot produce from a scenario (no file memory, userfaultfd,
 * device mappings, folio locks or NUMA here): pte_uffd_wp, page_null, page_not_anon,
 * page_not_in_lru, page_locked, page_compound, pte_non_present, scan_aborted,
 * pte_mapped_hugepage, and the revalidation and file results (vma_null,
 * vma_check_failed, not_suitable_address_range, no_process_for_page, truncated, …).
 */
import type { ScenarioInput } from "../scenario_schema.ts";

/** A scan-result preset: its scenario and the trace status its last scanned PMD ends with. */
export interface ScanResultPreset {
  readonly result: string;
  readonly scenario: ScenarioInput;
}

const PMD = "2 MiB";

function preset(
  result: string, description: string, setup: Partial<ScenarioInput> & Pick<ScenarioInput, "tasks">,
): ScanResultPreset {
  return {
    result,
    scenario: {
      name: `scan-${result.replaceAll("_", "-")}`,
      description,
      variants: ["lazyfree-skip"],
      tunables: { enabled: "madvise" },
      durationS: 5,
      ...setup,
    },
  };
}

/** A task mapping one populated 2 MiB region, then running `steps`. */
function oneRegion(steps: unknown[], vma: Record<string, unknown> = {}): NonNullable<ScenarioInput["tasks"]> {
  return [{ name: "test", vmas: [{ name: "region", size: PMD, populate: true, ...vma }], steps }];
}

const hugepage = { do: "madvise", vma: "region", advice: "MADV_HUGEPAGE" };

export const SCAN_RESULT_PRESETS: readonly ScanResultPreset[] = [
  preset("succeeded", "A populated, recently written 2 MiB region is collapsed on khugepaged's first pass", {
    tasks: oneRegion([hugepage]),
  }),
  preset("exceed_none_pte", "Half a region faulted in with max_ptes_none 0: the first empty PTE stops the scan", {
    tunables: { enabled: "madvise", "khugepaged/max_ptes_none": 0 },
    tasks: oneRegion([{ do: "touch", vma: "region", length: "1 MiB", write: true }, hugepage], { populate: false }),
  }),
  preset("exceed_swap_pte", "Memory pressure swaps half the region out: 257 swap entries exceed max_ptes_swap (64)", {
    memory: { totalBytes: "4 MiB" },
    // 4 MiB of memory, one page kept at boot, 512 pages mapped: 511 free. Reclaim to 768
    // free takes 257 pages.
    memoryPressure: [{ atS: 0.5, targetFreeBytes: "3 MiB" }],
    tasks: oneRegion([{ do: "sleep", seconds: 1 }, hugepage]),
  }),
  preset("exceed_shared_pte", "After fork every page is mapped by two mms: 512 shared PTEs exceed max_ptes_shared (256)", {
    tasks: oneRegion([hugepage, { do: "fork", child: "child", steps: [{ do: "sleep", seconds: 5 }] }]),
  }),
  preset("lack_referenced_page", "Linux 6.18 scans a MADV_FREE'd region: its PTEs are old and clean, none referenced", {
    variants: ["baseline"],
    tasks: oneRegion([{ do: "madvise", vma: "region", advice: "MADV_FREE" }, hugepage]),
  }),
  preset("page_lazyfree", "Linux 7.1 stops at the first clean lazy-free PTE of a MADV_FREE'd region", {
    tasks: oneRegion([{ do: "madvise", vma: "region", advice: "MADV_FREE" }, hugepage]),
  }),
  preset("page_pmd_mapped", "A region faulted in as a THP is PMD-mapped already", {
    tasks: oneRegion([], { flags: ["hugepage"], populate: true }),
  }),
  preset("no_pte_table", "The second PMD of a 4 MiB region was never touched: it has no PTE table", {
    tasks: [{
      name: "test",
      vmas: [{ name: "region", size: "4 MiB", flags: ["hugepage"] }],
      steps: [{ do: "touch", vma: "region", length: PMD, write: true }],
    }],
  }),
  preset("not_suitable_page_count", "One page of the region is pinned (FOLL_LONGTERM): its refcount is not what the mappings explain", {
    tasks: oneRegion([{ do: "pin", vma: "region", length: "4 KiB" }, hugepage]),
  }),
  preset("alloc_huge_page_failed", "Every 2 MiB block holds an unmovable page: the collapse cannot allocate its THP", {
    memory: { totalBytes: "64 MiB", fragmentation: 1 },
    tasks: oneRegion([hugepage]),
  }),
];
