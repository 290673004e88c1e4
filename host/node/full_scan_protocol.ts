/** Messages between the full-scan pool (host/node/full_scan_pool.ts) and its workers. */
import type { ScanParams } from "../fullscan/scan_outcomes.ts";
import type { ScanCoreName } from "./load_core.ts";

export interface InitMessage {
  type: "init";
  index: number;
  /** The one shared WebAssembly.Memory of the kernel. */
  memory: WebAssembly.Memory;
  scanCore: ScanCoreName;
  /** This worker's record ring: byte offset and records. */
  ring: number;
  ringRecords: number;
  /** One Int32 counter of decided PMDs per worker, for the progress bar. */
  progress: SharedArrayBuffer;
}

export interface PlanMessage {
  type: "plan";
  run: number;
  ranges: Uint32Array;
}

export interface TaskMessage {
  type: "task";
  run: number;
  task: number;
  /** Which of the run's scans the slice belongs to. */
  scan: number;
  params: ScanParams;
  /** Outcome indices [from, to) of the plan, written to the array at byte offset `outcomes`. */
  from: number;
  to: number;
  outcomes: number;
  /** Fault injection for tests: the worker throws this message, or exits with this code, instead of scanning. */
  fault?: { message: string } | { exitCode: number };
}

export type ToWorker = InitMessage | PlanMessage | TaskMessage;

/** A finished slice, with its counters (see STATS in host/fullscan/full_scan.ts). */
export type FromWorker = { type: "ready" } | { type: "done"; run: number; task: number; scan: number; stats: Float64Array };
