/** A compare worker: one variant's run of a scenario on an engine of its own (host/node/compare_pool.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { runScenario } from "../run/runner.ts";
import type { CompareFromWorker, CompareJob } from "./compare_pool.ts";
import { aheadClient } from "./ahead_pool.ts";
import { makeEngine } from "./make_engine.ts";

if (!parentPort) throw new Error("compare_worker.ts must run in a worker thread");
const port = parentPort;
const job = workerData as CompareJob;

const ahead = job.ahead ? aheadClient(job.ahead) : undefined;
try {
  const result = await runScenario(job.scenario, await makeEngine(job.engine), {
    ...job.options,
    variant: job.variant,
    ahead,
    onEvent: (e) => {
      if (e.type === "interval" || e.type === "frame") port.postMessage({ type: "event", event: e } satisfies CompareFromWorker);
    },
  });
  // Leave the speculations first: the pool stops those no other run reads.
  ahead?.close();
  port.postMessage({ type: "done", result } satisfies CompareFromWorker);
} catch (err) {
  ahead?.close();
  port.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) } satisfies CompareFromWorker);
}
