/**
 * compareScenario() with each variant's run on a worker thread of its own: the runs are
 * independent (each boots its own kernel on its own engine), so they proceed in
 * parallel and their results come back in the variants' order, the same bytes as one
 * thread running them one after another. Progress events pass through as they arrive;
 * frames are held and delivered per variant in order, as a single thread delivers them.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { VariantName } from "../kernel/variants/mod.ts";
import type { CompareResult } from "../run/compare.ts";
import type { RunResult } from "../run/result.ts";
import type { RunEvent, RunOptions } from "../run/runner.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { runWork } from "../run/run_work.ts";
import { type AheadChannel, AheadPool, WORTH_ACCESSES } from "./ahead_pool.ts";

/**
 * Threads simulating ahead for an exact compare, one per core (at least two, at most
 * four): a speculation holds one while the runs wait or go on. The seed's three 4 KiB
 * phases are two speculations (cold's is the same in both variants), so two cores are
 * busy until both are done; speculations asked for while every thread is busy wait, and
 * a run never waits for those.
 */
const AHEAD_THREADS = Math.max(2, Math.min(4, availableParallelism()));

/** What a compare worker is asked: one run, on a fresh engine of `engine`'s kind. */
export interface CompareJob {
  scenario: Scenario;
  variant: VariantName;
  engine: "wasm" | "ts";
  options: Pick<RunOptions, "tlbMode" | "trace" | "frames" | "sampleAccesses" | "warmupAccesses">;
  /** Where an exact run's long access phases are simulated ahead (ahead_pool.ts). */
  ahead?: AheadChannel;
}
/** The events a worker passes back: those that are plain data, then its result or its error. */
export type CompareFromWorker =
  | { type: "event"; event: Extract<RunEvent, { type: "interval" | "frame" }> }
  | { type: "done"; result: RunResult }
  | { type: "error"; message: string };

/** The worker's entry: the .mjs that registers tsx from the sources, the compiled worker from dist/. */
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./compare_worker.mjs", import.meta.url)
  : new URL("./compare_worker.js", import.meta.url);

function runOnWorker(job: CompareJob, onEvent: (e: CompareFromWorker & { type: "event" }) => void): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    const transferList = job.ahead ? [job.ahead.port] : [];
    const w = new Worker(WORKER_URL, { name: `khugesim-compare-${job.variant}`, workerData: job, transferList });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      void w.terminate();
      f();
    };
    w.on("message", (m: CompareFromWorker) => {
      if (m.type === "event") onEvent(m);
      else if (m.type === "done") settle(() => resolve(m.result));
      else settle(() => reject(new Error(m.message)));
    });
    w.on("error", (err: Error) => settle(() => reject(err)));
    w.on("exit", (code) => settle(() => reject(new Error(`Cannot run variant "${job.variant}": its worker exited with code ${code}`))));
  });
}

/**
 * Whether a run of `scenario` goes to worker threads on a machine of `cores`: several
 * variants each take one; a single variant does when it is exact and long enough for
 * its phases to be simulated ahead on the spare core.
 */
export function runsOnWorkers(scenario: Scenario, tlbMode: CompareJob["options"]["tlbMode"], cores = availableParallelism()): boolean {
  if (cores < 2) return false;
  return scenario.variants.length > 1 || (tlbMode === "exact" && runWork(scenario, true).total >= WORTH_ACCESSES);
}

/**
 * Run `scenario` under each of `variants` (the reference first) on `engine`-kind cores,
 * one worker thread per variant; an exact compare simulates long phases ahead on
 * `ahead` (by default a pool of its own; null: none).
 */
export async function compareOnWorkers(
  scenario: Scenario, variants: VariantName[], engine: "wasm" | "ts", options: CompareJob["options"],
  onEvent: (e: RunEvent) => void = () => {}, ahead?: AheadPool | null,
): Promise<CompareResult> {
  const frames: RunEvent[][] = variants.map(() => []);
  // Threads only for a run with a phase worth one: a small exact compare starts none.
  const worth = options.tlbMode === "exact" && runWork(scenario, true).total >= WORTH_ACCESSES;
  const own = ahead === undefined && worth ? new AheadPool(engine, AHEAD_THREADS) : null;
  const pool = ahead ?? own;
  try {
    const results = await Promise.all(variants.map((variant, i) =>
      runOnWorker({ scenario, variant, engine, options, ahead: pool?.channel() }, ({ event }) => {
        if (event.type === "frame") frames[i].push(event);
        else onEvent(event);
      })
    ));
    for (const held of frames) for (const e of held) onEvent(e);
    return { scenario: scenario.name, variants, results };
  } finally {
    await own?.close();
  }
}
