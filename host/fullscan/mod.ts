/** One full khugepaged scan, summarized: the public face of host/fullscan. */
export { type FullScanConfig, type FullScanOptions, type FullScanReport, fullScan } from "./full_scan.ts";
export { OUTCOME } from "./scan_outcomes.ts";
export type { FullScanSummary } from "./summary.ts";
export { buildScanPlan, type ScanPlan } from "./scan_plan.ts";
