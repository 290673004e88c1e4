/** Reports of runs: the comparison table, the per-run printout, JSON, CSV and the SVG chart. */
export { formatComparison } from "./compare_table.ts";
export { comparisonJson } from "./json_report.ts";
export { formatRun } from "./run_report.ts";
export { seriesCsv } from "./series_csv.ts";
export { anonHugeChartSvg } from "./anon_huge_chart.ts";
