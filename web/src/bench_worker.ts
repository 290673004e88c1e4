/**
 * The benchmark worker: runs benchScan() (the library's scan microbenchmark, timed by
 * benchmark.js) off the page's thread and posts the report, or the error that stopped it.
 */
/// <reference lib="webworker" />
import { benchScan, type ScanBenchReport, type ScanSetName } from "../../host/mod.ts";

declare const self: DedicatedWorkerGlobalScope;

/** Page → worker: which set and variant to time. */
export interface BenchRequest {
  set: ScanSetName;
  variant: string;
  maxTime: number;
}
/** Worker → page. */
export type BenchReply = { type: "done"; report: ScanBenchReport } | { type: "error"; message: string };

self.onmessage = (e: MessageEvent<BenchRequest>) => {
  const { set, variant, maxTime } = e.data;
  benchScan({ set, variant, maxTime }).then(
    (report) => self.postMessage({ type: "done", report } satisfies BenchReply),
    (err: unknown) => self.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) } satisfies BenchReply),
  );
};
