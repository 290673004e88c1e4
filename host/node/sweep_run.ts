/**
 * A sweep run from the command line: the runs of the grid (or of one shard of it) not
 * yet in the output file, on worker threads, each line appended as its run ends so a
 * killed sweep loses only the runs in flight; at the end the file is put in canonical
 * order. Without a file the lines go to standard output, held back until the runs before
 * them are done, so the bytes are the same however many workers ran them.
 */
import { open, readFile, truncate } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { wasmEngine } from "../run/engine.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { inShard, type RunPoint, type Shard } from "../sweep/run_point.ts";
import { mergeRecords, parseRecords, pointScenario, runSweepPoint, type SweepRecord } from "../sweep/sweep_record.ts";
import { writeFilesAtomically } from "./atomic_write.ts";
import { createCore } from "./load_core.ts";
import { startProgressBar } from "./progress.ts";
import { runOnWorkers } from "./sweep_pool.ts";

export interface SweepRunOptions {
  /** The output file (resumed when it exists); standard output without one. */
  out?: string;
  /** Worker threads; 0 runs on this thread. Default: the CPUs, at most one per run. */
  workers?: number;
  shard?: Shard;
  /** Where progress lines go when stderr is not a terminal (a batch job's log), at most this often. */
  logEveryS?: number;
}

export interface SweepRunReport {
  /** Runs of the grid (or shard), those already in the file, those run now, those that failed now. */
  runs: number;
  skipped: number;
  ran: number;
  failed: number;
  workers: number;
  wallS: number;
}

/** The runs with a result in the output file, and where a killed sweep's unfinished last line starts. */
async function resumePoint(out: string): Promise<{ done: Set<string>; completeBytes: number } | undefined> {
  const text = await readFile(out, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const { lines, completeBytes } = parseRecords(text, out);
  // A failed run is run again: it may have failed for want of memory, or a worker that died.
  return { done: new Set(lines.filter((l) => l.record.error === undefined).map((l) => l.record.key)), completeBytes };
}

/** Put the file's lines in canonical order, one line per run (a rerun's result over an earlier error). */
async function canonicalize(out: string): Promise<void> {
  const text = await readFile(out, "utf8");
  const sorted = mergeRecords([{ source: out, lines: parseRecords(text, out).lines }]).map((l) => l.line).join("");
  if (sorted !== text) await writeFilesAtomically([{ flag: "--out", path: out, data: sorted }]);
}

/** Where a sweep's lines go: `write` takes each as its run ends, `close` when all are given. */
interface Sink {
  write(index: number, line: string): void;
  close(): Promise<void>;
}

/** Standard output: lines in run order, each held until those before it are out. */
function stdoutSink(): Sink {
  const held = new Map<number, string>();
  let next = 0;
  return {
    write(index, line) {
      held.set(index, line);
      for (let l = held.get(next); l !== undefined; l = held.get(next)) {
        process.stdout.write(l);
        held.delete(next++);
      }
    },
    close: async () => {},
  };
}

/** The output file: lines appended as they come, a half-written last line of a killed sweep cut off first. */
async function fileSink(out: string, completeBytes: number | undefined): Promise<Sink> {
  if (completeBytes !== undefined) await truncate(out, completeBytes);
  const handle = await open(out, "a");
  let chain: Promise<unknown> = Promise.resolve();
  return {
    write(_index, line) {
      chain = chain.then(() => handle.write(line));
    },
    async close() {
      try {
        await chain;
      } finally {
        await handle.close();
      }
    },
  };
}

/** Runs done, their rate and the time left: a bar on a terminal, else a line now and then. */
function progress(total: number, logEveryS: number): { update(done: number): void; stop(): void } {
  if (process.stderr.isTTY) return startProgressBar(total, "sweep", "runs");
  const t0 = performance.now();
  let last = t0;
  return {
    update(done) {
      const now = performance.now();
      if (now - last < logEveryS * 1000 || done === total) return;
      last = now;
      const rate = done / ((now - t0) / 1000);
      process.stderr.write(`khugesim: sweep ${done}/${total} runs, ${rate.toFixed(2)} runs/s, ETA ${Math.ceil((total - done) / rate)} s\n`);
    },
    stop() {},
  };
}

/** Run `points` on this thread, handing each line on as it is made. */
async function runHere(scenarios: Record<string, Scenario>, points: readonly RunPoint[], onLine: (i: number, line: string) => void) {
  const { memory, core } = await createCore();
  const engine = wasmEngine(memory, core);
  for (let i = 0; i < points.length; i++) onLine(i, await runSweepPoint(scenarios[points[i].scenario], points[i], engine));
}

/**
 * Run the points of `spec` (expanded by the caller into `points`, in canonical order) that
 * `options.out` does not hold yet. Every point's scenario is built first, so a bad
 * combination of a scenario and tunables is refused before any run.
 */
export async function runSweep(
  scenarios: Record<string, Scenario>, points: readonly RunPoint[], options: SweepRunOptions,
): Promise<SweepRunReport> {
  const t0 = performance.now();
  const mine = options.shard ? points.filter((p) => inShard(p.key, options.shard!)) : [...points];
  for (const p of mine) pointScenario(scenarios[p.scenario], p);
  const resume = options.out === undefined ? undefined : await resumePoint(options.out);
  const todo = mine.filter((p) => !resume?.done.has(p.key));
  const workers = Math.min(options.workers ?? availableParallelism(), todo.length);
  let failed = 0, done = 0;
  const bar = progress(todo.length, options.logEveryS ?? 30);
  const sink = options.out === undefined ? stdoutSink() : await fileSink(options.out, resume?.completeBytes);
  const onLine = (index: number, line: string) => {
    if ((JSON.parse(line) as SweepRecord).error !== undefined) failed++;
    sink.write(index, line);
    bar.update(++done);
  };
  try {
    if (workers === 0) await runHere(scenarios, todo, onLine);
    else await runOnWorkers(scenarios, todo, workers, onLine);
  } finally {
    bar.stop();
    await sink.close();
  }
  if (options.out !== undefined) await canonicalize(options.out);
  return { runs: mine.length, skipped: mine.length - todo.length, ran: todo.length, failed, workers, wallS: (performance.now() - t0) / 1000 };
}
