/**
 * What one full khugepaged scan decides for each VMA of an imported snapshot
 * (host/snapshot): the PMD outcomes of `fullScan` counted per VMA, per scan config.
 */
import { SCAN_RESULTS, type ScanResultName } from "../core/scan_result.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import type { ImportedMm } from "../snapshot/import.ts";
import { type FullScanConfig, fullScan } from "./full_scan.ts";
import { buildScanPlan } from "./scan_plan.ts";
import { OUTCOME } from "./scan_outcomes.ts";
import type { FullScanSummary } from "./summary.ts";

/** PMDs by scan result, for one VMA under one config. */
export type VmaScan = Partial<Record<ScanResultName, number>>;

/** Per-VMA counts, `[process][vma][config]`, and the whole scan's summary per config (empty when no mm is registered). */
export interface ImportedScan {
  vmas: VmaScan[][][];
  summaries: FullScanSummary[];
}

/**
 * Scan `k`'s registered mms once per config and count each imported VMA's PMDs by
 * result, the VMA index that of `ImportedMm.vmas`. A VMA khugepaged does not scan
 * (ineligible, or no whole PMD) has empty counts. With no mm registered, no scan runs.
 */
export function scanImportedVmas(k: KhugepagedKernel, imported: ImportedMm[], configs: FullScanConfig[]): ImportedScan {
  const out = imported.map((m) => m.vmas.map(() => configs.map((): VmaScan => ({}))));
  if (k.khugepaged.slots.length === 0) return { vmas: out, summaries: [] };
  const plan = buildScanPlan(k);
  const report = fullScan(k, { configs, keepOutcomes: true });
  imported.forEach((m, p) => {
    const planMm = plan.mms.find((pm) => pm.name === m.mm.name);
    if (!planMm) return;
    planMm.vmas.forEach((pv, v) => {
      if (pv.out < 0) return;
      const pmds = (pv.hend - pv.hstart) / (2 * 1024 * 1024);
      configs.forEach((_, c) => {
        const outcomes = report.outcomes![report.scanOf[c]];
        const counts = out[p][v][c];
        for (let i = 0; i < pmds; i++) {
          const name = SCAN_RESULTS[outcomes[pv.out + i] & OUTCOME.RESULT_MASK][0];
          counts[name] = (counts[name] ?? 0) + 1;
        }
      });
    });
  });
  return { vmas: out, summaries: report.summaries };
}
