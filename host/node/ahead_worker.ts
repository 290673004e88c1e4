/** A thread that simulates access chunks ahead for the runs of a compare (host/node/ahead_pool.ts), one speculation at a time. */
import { parentPort, workerData } from "node:worker_threads";
import { endJournal } from "../run/ahead_journal.ts";
import { runAhead } from "../run/ahead_run.ts";
import type { AheadJob, AheadJobDone, AheadWorkerReady } from "./ahead_pool.ts";
import { makeEngine } from "./make_engine.ts";

if (!parentPort) throw new Error("ahead_worker.ts must run in a worker thread");
const port = parentPort;
const engine = await makeEngine((workerData as { engine: "wasm" | "ts" }).engine);
const mark = engine.memory.usedBytes;

port.postMessage({ ready: true } satisfies AheadWorkerReady);
port.on("message", ({ request, journal }: AheadJob) => {
  let done: AheadJobDone;
  try {
    done = { finished: runAhead(engine, request, journal) };
  } catch (err) {
    endJournal(journal);
    done = { error: err instanceof Error ? err.message : String(err) };
  } finally {
    engine.memory.rewind(mark);
  }
  port.postMessage(done);
});
