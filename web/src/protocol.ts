/** Messages between the page and the simulation worker (sim_worker.ts). */
import type { Frame, RunProgress, SeriesPoint } from "../../host/mod.ts";
import type { ErrorField, RunRequest } from "./run_request.ts";

/** Page → worker: run a scenario with the page's variants and tunables. */
export interface RunMessage {
  type: "run";
  request: RunRequest;
}

/** Worker → page. */
export type WorkerMessage =
  /** The request was checked; the runs begin. */
  | { type: "started"; scenario: string; variants: string[] }
  | { type: "progress"; progress: RunProgress; variantIndex: number }
  | { type: "frame"; frame: Frame }
  /** One variant finished: its time series (authoritative for the chart). */
  | { type: "variant-done"; variant: string; series: SeriesPoint[] }
  /** All variants finished: the CLI's comparison table, its --json line, CSV and each variant's trace. */
  | { type: "done"; comparison: string; json: string; csv: string; traces: Record<string, string>; scenario: string }
  /** The run could not start or stopped: `field` says which part of the form is at fault. */
  | { type: "error"; field: ErrorField; message: string };
