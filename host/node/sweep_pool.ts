/**
 * A sweep's runs on worker threads, each worker with its own engine: runs are handed out
 * one at a time as workers come free, and each line is passed on as it arrives. A worker
 * that dies takes only its run with it (recorded as failed) and is replaced; one that
 * dies before it is ready fails the sweep, since its replacement would too.
 */
import { Worker } from "node:worker_threads";
import type { Scenario } from "../scenario/scenario_schema.ts";
import type { RunPoint } from "../sweep/run_point.ts";
import { recordLine } from "../sweep/sweep_record.ts";

export type SweepToWorker =
  | { type: "init"; scenarios: Record<string, Scenario> }
  | { type: "run"; index: number; point: RunPoint; exitCode?: number };
export type SweepFromWorker = { type: "ready" } | { type: "done"; index: number; line: string };

/** The worker's entry: the .mjs that registers tsx from the sources, the compiled worker from dist/. */
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./sweep_worker.mjs", import.meta.url)
  : new URL("./sweep_worker.js", import.meta.url);

/**
 * Run `points` on `workers` threads; `onLine(i, line)` gets the line of points[i], in
 * the order the runs finish. Resolves when every run has its line.
 */
export function runOnWorkers(
  scenarios: Record<string, Scenario>, points: readonly RunPoint[], workers: number,
  onLine: (index: number, line: string) => void,
  /** Fault injection for tests: the worker handed points[index] exits with `exitCode` instead of running it. */
  fault?: { index: number; exitCode: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0, left = points.length, failed = false;
    const live = new Set<Worker>();
    const finish = (err?: Error) => {
      if (failed) return;
      if (err) failed = true;
      for (const w of live) void w.terminate();
      live.clear();
      if (err) reject(err);
      else resolve();
    };
    const give = (w: Worker, state: { index: number }) => {
      if (next >= points.length) {
        live.delete(w);
        void w.terminate();
        return;
      }
      state.index = next++;
      const exitCode = fault?.index === state.index ? fault.exitCode : undefined;
      w.postMessage({ type: "run", index: state.index, point: points[state.index], exitCode } satisfies SweepToWorker);
    };
    const spawn = (n: number) => {
      const w = new Worker(WORKER_URL, { name: `khugesim-sweep-${n}` });
      const state = { index: -1, ready: false, gone: false };
      live.add(w);
      w.on("message", (m: SweepFromWorker) => {
        if (m.type === "ready") state.ready = true;
        else {
          state.index = -1;
          onLine(m.index, m.line);
          if (--left === 0) return finish();
        }
        give(w, state);
      });
      const died = (why: string) => {
        if (state.gone || failed || !live.has(w)) return;
        state.gone = true;
        live.delete(w);
        if (!state.ready) return finish(new Error(`Cannot start sweep worker ${n}: ${why}`));
        if (state.index >= 0) {
          onLine(state.index, recordLine({ ...points[state.index], error: `Sweep worker ${n} died: ${why}` }));
          if (--left === 0) return finish();
        }
        spawn(n);
      };
      w.on("error", (err: Error) => died(err.message));
      w.on("exit", (code) => died(`exited with code ${code}`));
      w.postMessage({ type: "init", scenarios } satisfies SweepToWorker);
    };
    if (left === 0) return resolve();
    for (let i = 0; i < Math.min(workers, points.length); i++) spawn(i);
  });
}
