/**
 * A sweep worker: its own WASM engine, the sweep's scenarios, and one run at a time,
 * each answered with the run's line (a failed run's line holds its error). A core that
 * cannot be loaded kills the worker, and the pool fails the sweep.
 */
import { parentPort } from "node:worker_threads";
import { type Engine, wasmEngine } from "../run/engine.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { runSweepPoint } from "../sweep/sweep_record.ts";
import { createCore } from "./load_core.ts";
import type { SweepFromWorker, SweepToWorker } from "./sweep_pool.ts";

if (!parentPort) throw new Error("sweep_worker.ts must run in a worker thread");
const port = parentPort;

let engine: Engine | undefined;
let scenarios: Record<string, Scenario> = {};

port.on("message", async (m: SweepToWorker) => {
  if (m.type === "init") {
    const { memory, core } = await createCore();
    engine = wasmEngine(memory, core);
    scenarios = m.scenarios;
    port.postMessage({ type: "ready" } satisfies SweepFromWorker);
    return;
  }
  if (!engine) throw new Error("Sweep worker got a run before its init");
  if (m.exitCode !== undefined) process.exit(m.exitCode);
  const line = await runSweepPoint(scenarios[m.point.scenario], m.point, engine);
  port.postMessage({ type: "done", index: m.index, line } satisfies SweepFromWorker);
});
