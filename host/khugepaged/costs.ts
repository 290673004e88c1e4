/**
 * The CPU time khugepaged's own work takes, so that trace timestamps advance within a
 * pass and the next sleep starts when the work ends. A model of time only: no decision
 * reads it. The defaults are measured on a KVM guest (AMD Zen 5, Linux 6.18, HZ=250)
 * with bench/native/ (commands and figures in docs/khugepaged-costs.md); a scenario
 * overrides any of them under `kernel.costs`.
 */
export interface KhugepagedCosts {
  /** Examining one PTE in `hpage_collapse_scan_pmd()`'s loop, ns. */
  pteNs: number;
  /** Visiting an mm or a VMA, or deciding a PMD from its entry alone, ns. */
  visitNs: number;
  /** Allocating the PMD-sized folio when a whole 2 MiB block is free, ns. */
  allocNs: number;
  /**
   * Direct compaction in front of the allocation, ns, when khugepaged/defrag lets it
   * reclaim and compact; charged in proportion to the pool's fragmented share.
   */
  compactNs: number;
  /** Copying 2 MiB into the new folio (`__collapse_huge_page_copy()`), GB/s. */
  copyGBps: number;
  /** `pmdp_collapse_flush()`'s TLB shoot-down, ns. */
  flushNs: number;
  /** Installing the PMD and releasing the 512 old pages, ns. */
  remapNs: number;
}

/**
 * The measured defaults: medians of the gaps between khugepaged's trace events on this
 * project's 6.18 KVM guest (docs/khugepaged-costs.md). Allocation and flush are measured
 * only as their sum (about 95 µs); compaction is not measured (the guest's pool was not
 * fragmented) and is an order-of-magnitude figure.
 */
export const DEFAULT_COSTS: Readonly<KhugepagedCosts> = Object.freeze({
  pteNs: 45,
  visitNs: 1_000,
  allocNs: 50_000,
  compactNs: 1_000_000,
  copyGBps: 20,
  flushNs: 45_000,
  remapNs: 190_000,
});

/** Bytes a collapse copies: one PMD. */
const PMD_BYTES = 2 * 1024 * 1024;

/** How far a collapse got: the allocation failed, the collapse failed after it, or it succeeded. */
export type CollapseStage = "alloc-failed" | "failed" | "succeeded";

/** The time the allocation takes (with the compaction it may run first), ns. */
export function allocNs(c: KhugepagedCosts, defrag: boolean, fragmentation: number): number {
  return c.allocNs + (defrag ? c.compactNs * fragmentation : 0);
}

/** The time of one collapse attempt that got as far as `stage`, ns (whole). */
export function collapseNs(c: KhugepagedCosts, stage: CollapseStage, defrag: boolean, fragmentation: number): number {
  const alloc = allocNs(c, defrag, fragmentation);
  if (stage === "alloc-failed") return Math.round(alloc);
  if (stage === "failed") return Math.round(alloc + c.flushNs);
  return Math.round(alloc + c.flushNs + PMD_BYTES / c.copyGBps + c.remapNs);
}
