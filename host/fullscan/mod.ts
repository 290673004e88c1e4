/** One full khugepaged scan, summarized: the public face of host/fullscan. */
export {
  type FullScanConfig, type FullScanOptions, type FullScanReport, type FullScanSummary, fullScan, OUTCOME,
} from "./full_scan.ts";
export { buildScanPlan, type ScanPlan } from "./scan_plan.ts";
