/**
 * The single exit of a PMD scan (`hpage_collapse_scan_pmd()`'s `out:` label), shared by
 * khugepaged and MADV_COLLAPSE: the scan flags the core is called with, the vmstat
 * counter a result carries, and the `mm_khugepaged_scan_pmd` event with the final status.
 */
import { SCAN_FLAG } from "../core/layout.ts";
import { ScanResult } from "../core/scan_result.ts";
import type { KernelRules } from "../kernel/variant.ts";
import type { ScanRecord } from "../kernel/scan_record.ts";
import { hashedPointer } from "../kernel/trace.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { countMthpStat, EXCEED_STATS } from "../kernel/mthp_stats.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";

const S = ScanResult;

/**
 * Scan flags for the core: who scans (`cc->is_khugepaged`), whether the variant skips
 * lazy-free folios, and with `mthpScan` (mTHP orders enabled for the VMA) the occupancy
 * records under the variant's max_ptes_none rule.
 */
export function scanFlags(rules: Pick<KernelRules, "lazyfreeSkip" | "mthpMaxNone">, isKhugepaged: boolean, mthpScan = false): number {
  const mthp = !mthpScan ? 0 : SCAN_FLAG.MTHP_BITMAP | (rules.mthpMaxNone === "scaled" ? SCAN_FLAG.MTHP_SCALED : 0);
  return (isKhugepaged ? SCAN_FLAG.KHUGEPAGED : 0) | (rules.lazyfreeSkip ? SCAN_FLAG.LAZYFREE_SKIP : 0) | mthp;
}

/** Bump the vmstat counter a scan result carries, if any, and with mTHP collapse the PMD size's stats/ counter. */
export function countScanResult(k: Kernel, result: number): void {
  if (result === S.EXCEED_NONE_PTE) k.vmstat.thp_scan_exceed_none_pte++;
  else if (result === S.EXCEED_SWAP_PTE) k.vmstat.thp_scan_exceed_swap_pte++;
  else if (result === S.EXCEED_SHARED_PTE) k.vmstat.thp_scan_exceed_share_pte++;
  const stat = EXCEED_STATS.get(result);
  if (stat && k.variant.mthpCollapse) countMthpStat(k.mthpStats, PMD_ORDER, stat);
}

/** `trace_mm_khugepaged_scan_pmd` with the final status (after any collapse). */
export function traceScanPmd(k: Kernel, cc: CollapseControl, mm: Mm, rec: ScanRecord, result: number): void {
  // A disabled tracepoint costs nothing: do not build an event per PMD only to drop it.
  if (!k.tracer.enabled) return;
  k.tracer.emit({
    ts: cc.ts, comm: cc.comm, pid: cc.pid, cpu: cc.cpu, event: "mm_khugepaged_scan_pmd",
    fields: [
      ["mm", hashedPointer(mm.id)], ["scan_pfn", rec.pfn], ["referenced", rec.referenced],
      ["none_or_zero", rec.noneOrZero], ["status", k.variant.traceString(result)], ["unmapped", rec.unmapped],
    ],
  });
}
