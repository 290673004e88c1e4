/**
 * A full-scan worker: adopts the kernel's shared WebAssembly.Memory, instantiates its
 * own scan core on it, and decides the outcome slices it is sent into the shared
 * outcome arrays. It catches nothing: an error kills it, and the pool fails the run.
 */
import { parentPort } from "node:worker_threads";
import { CoreMemory } from "../core/core_memory.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { scanOutcomes, STATS } from "../fullscan/scan_outcomes.ts";
import { scanCoreNamed } from "./load_core.ts";
import type { FromWorker, InitMessage, ToWorker } from "./full_scan_protocol.ts";

if (!parentPort) throw new Error("full_scan_worker.ts must run in a worker thread");
const port = parentPort;

let init: InitMessage | undefined;
let core: ScanCore | undefined;
let progress: Int32Array | undefined;
let ranges: Uint32Array = new Uint32Array(0);
let run = -1;

async function start(m: InitMessage): Promise<void> {
  init = m;
  progress = new Int32Array(m.progress);
  core = await scanCoreNamed(m.scanCore, new CoreMemory({ memory: m.memory }));
  port.postMessage({ type: "ready" } satisfies FromWorker);
}

port.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "init":
      // A failed load rejects here, and the unhandled rejection kills the worker.
      void start(m);
      return;
    case "plan":
      run = m.run;
      ranges = m.ranges;
      return;
    case "task": {
      if (!init || !core || !progress) throw new Error("Full scan worker got a task before its init");
      if (m.run !== run) throw new Error(`Full scan worker got a task of run ${m.run} while holding the plan of run ${run}`);
      if (m.fault && "exitCode" in m.fault) process.exit(m.fault.exitCode);
      if (m.fault) throw new Error(m.fault.message);
      const counter = progress, index = init.index;
      const stats = new Float64Array(STATS.LENGTH);
      scanOutcomes(core, init.memory, ranges, m.from, m.to, m.params, init.ring, init.ringRecords, m.outcomes, stats,
        (n) => Atomics.add(counter, index, n));
      port.postMessage({ type: "done", run: m.run, task: m.task, scan: m.scan, stats } satisfies FromWorker, [stats.buffer]);
      return;
    }
  }
});
