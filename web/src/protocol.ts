/**
 * Messages between the page and the simulation worker (sim_worker.ts). The worker keeps
 * every frame's PMD maps; the page asks for the part it draws (a tile) and for the PMDs
 * under the pointer, so a terabyte map never crosses to the main thread.
 */
import type { RunProgress, SeriesPoint } from "../../host/mod.ts";
import type { ErrorField, RunRequest } from "./run_request.ts";

/** Page → worker: run a scenario with the page's variants and tunables. */
export interface RunMessage {
  type: "run";
  request: RunRequest;
}

/** Which map of which frame, and which PMD indexes [start, end) of it. */
export interface MapRef {
  variant: string;
  /** Index of the frame in the variant's list. */
  frame: number;
  task: string;
  start: number;
  end: number;
  /** The token of the tile the page shows for this row now, if any: the same pixels are not sent again. */
  drawn?: string;
}

/** Page → worker: draw these maps (answered by a "tiles" message with the same id). */
export interface TilesMessage {
  type: "tiles";
  id: number;
  maps: MapRef[];
}

/** Page → worker: describe PMDs [start, end) of a map (answered by a "pmds" message). */
export interface PmdsMessage {
  type: "pmds";
  id: number;
  map: MapRef;
}

export type PageMessage = RunMessage | TilesMessage | PmdsMessage;

/** One task in a frame as the page sees it: its figures and its map's length, not the map. */
export interface TaskSummary {
  name: string;
  alive: boolean;
  /** PMDs in the task's map. */
  pmds: number;
  anonHugePagesKb: number;
  lazyFreeKb: number;
  swapKb: number;
}

export interface FrameSummary {
  variant: string;
  timeS: number;
  endS: number;
  tasks: TaskSummary[];
  /** khugepaged's cursor: the task it scans next and the index of the PMD in its map. */
  cursor: { task: string; pmd: number } | null;
}

/** A drawn map: one RGBA pixel per cell of `mapLayout(start, end)`, row by row. */
export interface Tile {
  map: MapRef;
  /** Null when the pixels are those of the token the page sent (`MapRef.drawn`). */
  rgba: Uint8ClampedArray | null;
  /** With the pixels: PMDs of the range in each state (indexes into PMD_STATES). */
  states: number[] | null;
  /** Names these pixels: the page sends it back with its next request for the row. */
  token: string;
}

/** What the PMDs of a range hold. */
export interface PmdsInfo {
  map: MapRef;
  /** Address of the first PMD and the end of the last. */
  from: number;
  to: number;
  /** PMDs in each state (indexes into PMD_STATES). */
  states: number[];
  /** For one PMD: the trace status of khugepaged's last scan of it, or null if it was not scanned. */
  lastScan: string | null;
}

/** Worker → page. */
export type WorkerMessage =
  /** The request was checked; the runs begin. */
  | { type: "started"; scenario: string; variants: string[] }
  | { type: "progress"; progress: RunProgress; variantIndex: number }
  | { type: "frame"; frame: FrameSummary }
  /** One variant finished: its time series (authoritative for the chart). */
  | { type: "variant-done"; variant: string; series: SeriesPoint[] }
  /** All variants finished: the CLI's comparison table, its --json line, CSV and each variant's trace. */
  | { type: "done"; comparison: string; json: string; csv: string; traces: Record<string, string>; scenario: string }
  | { type: "tiles"; id: number; tiles: Tile[] }
  | { type: "pmds"; id: number; info: PmdsInfo | null }
  /** The run could not start or stopped: `field` says which part of the form is at fault. */
  | { type: "error"; field: ErrorField; message: string };
