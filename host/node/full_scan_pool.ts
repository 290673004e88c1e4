/**
 * Full khugepaged scans on worker threads that share the kernel's one WebAssembly.Memory.
 * Each worker has its own scan core and record ring and decides disjoint slices of the
 * outcome arrays; the main thread then walks them exactly as a single-threaded run does,
 * so the report is the same, byte for byte. A worker that dies fails the run with an
 * error that names it; the pool then closes, and no partial result is returned.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CoreMemory } from "../core/core_memory.ts";
import { RECORD } from "../core/layout.ts";
import { finishReport, type FullScanOptions, type FullScanReport, prepareFullScan } from "../fullscan/full_scan.ts";
import { STATS } from "../fullscan/scan_outcomes.ts";
import { RING_RECORDS } from "../kernel/scan_record.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import type { FromWorker, TaskMessage, ToWorker } from "./full_scan_protocol.ts";
import type { ScanCoreName } from "./load_core.ts";
import { startProgressBar } from "./progress.ts";

/** The most worker threads a pool starts. */
export const MAX_WORKERS = 256;

export interface FullScanPoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  workers?: number;
  /** The scan core each worker instantiates (default "simd"). */
  scanCore?: ScanCoreName;
}

export interface ParallelScanOptions extends FullScanOptions {
  /** Draw a progress bar on stderr when it is a terminal (default false). */
  progressBar?: boolean;
  /**
   * The smallest slice of PMDs a worker is handed (default 2048). Slices shrink with the
   * work left (guided scheduling), so that the workers finish together.
   */
  minSlice?: number;
  /** Fault injection for tests: worker `worker` throws `message` (or exits with `exitCode`) on its first task. */
  fault?: { worker: number; message?: string; exitCode?: number };
}

interface ActiveRun {
  id: number;
  queue: TaskMessage[];
  /** Counters of each scan, summed over its slices as they finish. */
  stats: Float64Array[];
  inflight: number;
  faultPending?: ParallelScanOptions["fault"];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Cut `scans` scans of `pmds` PMDs into [scan, from, to) slices, each a 1/(2 × workers)
 * share of the work still left but at least `minSlice` PMDs, never crossing a scan's end.
 */
function slices(pmds: number, scans: number, workers: number, minSlice: number): Array<[number, number, number]> {
  if (!(Number.isInteger(minSlice) && minSlice >= 1)) throw new RangeError(`minSlice must be a positive integer, got ${minSlice}`);
  const out: Array<[number, number, number]> = [];
  let left = pmds * scans;
  for (let s = 0; s < scans; s++) {
    for (let from = 0; from < pmds;) {
      const to = Math.min(pmds, from + Math.max(minSlice, Math.ceil(left / (2 * workers))));
      out.push([s, from, to]);
      left -= to - from;
      from = to;
    }
  }
  return out;
}

/**
 * The worker's entry: from the TypeScript sources, a small .mjs that registers tsx first
 * (Node 20 does not load a .ts worker by itself); from compiled JavaScript, the worker itself.
 */
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./full_scan_worker.mjs", import.meta.url)
  : new URL("./full_scan_worker.js", import.meta.url);

export class FullScanPool {
  readonly core: CoreMemory;
  readonly size: number;
  readonly scanCore: ScanCoreName;
  #workers: Worker[] = [];
  #idle: number[] = [];
  #progress: Int32Array;
  #failure: Error | undefined;
  #closing = false;
  #run: ActiveRun | undefined;
  #runs = 0;
  #onFailure: Array<(err: Error) => void> = [];

  private constructor(core: CoreMemory, size: number, scanCore: ScanCoreName) {
    this.core = core;
    this.size = size;
    this.scanCore = scanCore;
    this.#progress = new Int32Array(new SharedArrayBuffer(4 * size));
  }

  /**
   * Start `workers` workers on `core`'s memory and wait until each has its scan core.
   *
   * @example
   * const pool = await FullScanPool.start(kernel.core, { workers: 2 });
   * const report = await pool.run(kernel, { configs: [{ variant: "lazyfree-skip" }] });
   * await pool.close();
   */
  static async start(core: CoreMemory, options: FullScanPoolOptions = {}): Promise<FullScanPool> {
    const size = options.workers ?? availableParallelism();
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_WORKERS)) {
      throw new RangeError(`Full scan workers must be an integer from 1 to ${MAX_WORKERS}, got ${size}`);
    }
    const scanCore = options.scanCore ?? "simd";
    if (!["simd", "wasm", "ts"].includes(scanCore)) {
      throw new RangeError(`Full scan scanCore must be one of "simd", "wasm", "ts", got ${JSON.stringify(scanCore)}`);
    }
    const pool = new FullScanPool(core, size, scanCore);
    await pool.#spawn();
    return pool;
  }

  async #spawn(): Promise<void> {
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < this.size; i++) {
      const ring = this.core.alloc(RING_RECORDS * RECORD.BYTES, 64);
      const w = new Worker(WORKER_URL, { name: `khugesim-full-scan-${i}` });
      this.#workers.push(w);
      ready.push(new Promise<void>((resolve, reject) => {
        this.#onFailure.push(reject);
        w.on("message", (m: FromWorker) => {
          if (m.type === "ready") { this.#idle.push(i); resolve(); } else this.#done(i, m);
        });
      }));
      w.on("error", (err: Error) => this.#fail(new Error(`Full scan worker ${i} (thread ${w.threadId}) died: ${err.message}`, { cause: err })));
      w.on("exit", (code) => {
        if (!this.#closing) this.#fail(new Error(`Full scan worker ${i} exited unexpectedly with code ${code}`));
      });
      w.postMessage({
        type: "init", index: i, memory: this.core.memory, scanCore: this.scanCore, ring, ringRecords: RING_RECORDS,
        progress: this.#progress.buffer as SharedArrayBuffer,
      } satisfies ToWorker);
    }
    await Promise.all(ready);
    this.#onFailure = [];
  }

  /** The first failure ends everything: reject what waits, stop every worker. */
  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    for (const reject of this.#onFailure) reject(err);
    this.#onFailure = [];
    this.#run?.reject(err);
    this.#run = undefined;
    this.#closing = true;
    for (const w of this.#workers) void w.terminate();
  }

  #dispatch(): void {
    const run = this.#run;
    if (!run) return;
    while (run.queue.length > 0 && this.#idle.length > 0) {
      const i = this.#idle.shift()!;
      const task = run.queue.shift()!;
      if (run.faultPending && run.faultPending.worker === i) {
        const f = run.faultPending;
        task.fault = f.exitCode !== undefined ? { exitCode: f.exitCode } : { message: f.message ?? "Injected fault" };
        run.faultPending = undefined;
      }
      run.inflight++;
      this.#workers[i].postMessage(task satisfies ToWorker);
    }
    if (run.queue.length === 0 && run.inflight === 0) {
      this.#run = undefined;
      run.resolve();
    }
  }

  #done(worker: number, m: Extract<FromWorker, { type: "done" }>): void {
    this.#idle.push(worker);
    const run = this.#run;
    if (!run || run.id !== m.run) return;
    const sum = run.stats[m.scan];
    for (let i = 0; i < STATS.LENGTH; i++) sum[i] += m.stats[i];
    run.inflight--;
    this.#dispatch();
  }

  /**
   * One full scan of `k` (whose core memory must be this pool's) under each config,
   * the slices spread over the workers.
   */
  async run(k: KhugepagedKernel, options: ParallelScanOptions = {}): Promise<FullScanReport> {
    if (this.#failure) throw new Error(`Cannot run a full scan: the worker pool has failed: ${this.#failure.message}`);
    if (this.#closing) throw new Error("Cannot run a full scan: the worker pool is closed");
    if (this.#run) throw new Error("Cannot run a full scan: the worker pool is busy with another run");
    if (k.core !== this.core) throw new TypeError("Cannot run a full scan: the kernel's core memory is not the pool's");
    const { fault } = options;
    if (fault && !(Number.isInteger(fault.worker) && fault.worker >= 0 && fault.worker < this.size)) {
      throw new RangeError(`fault.worker must be a worker index from 0 to ${this.size - 1}, got ${fault.worker}`);
    }
    const prep = prepareFullScan(k, options);
    const { plan, scans, outs } = prep;
    const id = ++this.#runs;
    const queue = slices(plan.pmds, scans.length, this.size, options.minSlice ?? 2048).map(([s, from, to], task): TaskMessage => ({
      type: "task", run: id, task, scan: s, params: scans[s], from, to, outcomes: outs[s],
    }));
    for (const w of this.#workers) w.postMessage({ type: "plan", run: id, ranges: plan.ranges } satisfies ToWorker);
    this.#progress.fill(0);
    const total = plan.pmds * scans.length;
    const bar = options.progressBar ? startProgressBar(total, "full scan") : undefined;
    const poll = options.onProgress || bar ? setInterval(() => {
      let done = 0;
      for (let i = 0; i < this.size; i++) done += Atomics.load(this.#progress, i);
      options.onProgress?.(done, total);
      bar?.update(done);
    }, 100) : undefined;
    const stats = scans.map(() => new Float64Array(STATS.LENGTH));
    try {
      await new Promise<void>((resolve, reject) => {
        this.#run = { id, queue, stats, inflight: 0, faultPending: fault, resolve, reject };
        this.#dispatch();
      });
    } finally {
      if (poll) clearInterval(poll);
      bar?.stop();
    }
    options.onProgress?.(total, total);
    return finishReport(k, prep, stats, options.keepOutcomes ?? false);
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/**
 * One full scan of `k` on a pool of workers started for it and closed after.
 *
 * @example
 * const report = await fullScanParallel(kernel, { workers: 2, configs: [{ variant: "baseline" }] });
 */
export async function fullScanParallel(
  k: KhugepagedKernel, options: ParallelScanOptions & FullScanPoolOptions = {},
): Promise<FullScanReport> {
  const pool = await FullScanPool.start(k.core, options);
  try {
    return await pool.run(k, options);
  } finally {
    await pool.close();
  }
}
