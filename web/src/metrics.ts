/** The time series the page charts, as the CSV names them (host/report/series_csv.ts). */
import type { Metric } from "./series_chart.ts";

const NO_ACCESSES = "No task made an access: a generated map's mms have no access phases";

export const METRICS: ReadonlyArray<Metric & { id: string; title: string }> = [
  {
    id: "huge", title: "AnonHugePages", axis: "AnonHugePages (MiB)", digits: 0,
    value: (s) => s.anonHugePagesKb / 1024, empty: "No task or generated mm yet",
  },
  {
    id: "dtlb", title: "dTLB load misses per interval", axis: "dTLB-load-misses", digits: 0,
    value: (s) => (s.accesses > 0 ? s.dtlbLoadMisses : null), empty: NO_ACCESSES,
  },
  {
    id: "cycles", title: "Cycles per access", axis: "cycles per access", digits: 2,
    value: (s) => s.cyclesPerAccess, empty: NO_ACCESSES,
  },
];
