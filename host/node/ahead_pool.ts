/**
 * Simulating ahead across threads (host/run/ahead_*.ts): the runs of a compare, each on
 * its worker, post their requests here; identical requests (the same task in the same
 * state under two variants) share one speculation, run on a pool of worker threads of
 * its own, and every run reads the one journal. A run waits for the journal's buffer
 * only when it first needs a record, so a request never blocks it.
 */
import { createHash } from "node:crypto";
import { serialize } from "node:v8";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { endJournal, journalBuffer, joinJournal, JournalReader, journalRunning, START_GRACE_MS } from "../run/ahead_journal.ts";
import type { AheadRequest } from "../run/ahead_request.ts";
import type { AheadReader, AheadSource } from "../run/ahead_take.ts";

/**
 * A speculation's journal: room for this many bytes of records (pages never written cost
 * nothing): about 1,400 chunks with a Zen 5 TLB (47 KB each), several times the seed's longest
 * speculation (hot2's 150 memsets and phase B). A full journal ends its speculation early.
 */
const JOURNAL_BYTES = 64 * 1024 * 1024;
/**
 * Fewest simulated accesses worth a thread by default: about 0.2 s of the TLB loop,
 * against a request's copy of the task's tables and TLB.
 */
export const WORTH_ACCESSES = 2 ** 24;

/** A request from a run's worker, and the journal it gets back. */
type ToPool = { id: number; request: AheadRequest };
type FromPool = { id: number; journal: SharedArrayBuffer };
/** A speculation for a pool worker, and its answer when it is done. */
export type AheadJob = { request: AheadRequest; journal: SharedArrayBuffer };
export type AheadJobDone = { finished: boolean } | { error: string };
/** A pool worker's first message: its engine is built. */
export type AheadWorkerReady = { ready: true };

/**
 * What a run's worker needs to reach the pool: the port (transfer it) and the mailbox
 * where the pool counts its replies (word 0) and says it has closed (word 1).
 */
export interface AheadChannel {
  port: MessagePort;
  mailbox: SharedArrayBuffer;
  worthAccesses: number;
  /** How long a run waits for a thread to take its speculation on (ahead_journal.ts). */
  startGraceMs: number;
}

const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("./ahead_worker.mjs", import.meta.url)
  : new URL("./ahead_worker.js", import.meta.url);

/** The speculations of one compare and the threads that run them. */
export class AheadPool {
  readonly #engine: "wasm" | "ts";
  readonly #maxWorkers: number;
  readonly #worthAccesses: number;
  readonly #startGraceMs: number;
  /** Speculations done: run to their end, or cut short (nobody read on, or a thread failed). */
  readonly jobs = { finished: 0, cut: 0 };
  /** Journals by the hash of their request. */
  readonly #journals = new Map<string, SharedArrayBuffer>();
  readonly #queue: Array<AheadJob & { key: string }> = [];
  readonly #idle: Worker[] = [];
  readonly #workers: Worker[] = [];
  readonly #channels: Array<{ port: MessagePort; mailbox: Int32Array }> = [];
  /** The journal each busy thread writes. */
  readonly #running = new Map<Worker, SharedArrayBuffer>();
  readonly #onIdle: Array<() => void> = [];
  /** Each thread's start (its engine built). */
  readonly #starting: Array<Promise<void>> = [];
  #closed = false;

  /**
   * Speculations on `engine`-kind cores, on `maxWorkers` threads, of phases that promise
   * `worthAccesses` simulated accesses. A thread takes jobs once it has started; until
   * then they wait, and the runs go on without them after `startGraceMs` (ahead_journal.ts).
   */
  constructor(engine: "wasm" | "ts", maxWorkers: number, worthAccesses = WORTH_ACCESSES, startGraceMs = START_GRACE_MS) {
    this.#engine = engine;
    this.#maxWorkers = maxWorkers;
    this.#worthAccesses = worthAccesses;
    this.#startGraceMs = startGraceMs;
    // Started now, so that they are ready when the runs first ask.
    for (let i = 0; i < maxWorkers; i++) this.#spawn();
  }

  /** A channel for one run's worker. */
  channel(): AheadChannel {
    const { port1, port2 } = new MessageChannel();
    const mailbox = new SharedArrayBuffer(8);
    const box = new Int32Array(mailbox);
    port1.on("message", (m: ToPool) => this.#request(m, port1, box));
    this.#channels.push({ port: port1, mailbox: box });
    return { port: port2, mailbox, worthAccesses: this.#worthAccesses, startGraceMs: this.#startGraceMs };
  }

  /** Resolves when every thread has started. */
  async ready(): Promise<void> {
    await Promise.all(this.#starting);
  }

  /** Resolves when no speculation runs or waits for a thread (jobs then counts every one). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#queue.length > 0) await new Promise<void>((resolve) => this.#onIdle.push(resolve));
  }

  /** Stop every thread and channel. */
  async close(): Promise<void> {
    this.#closed = true;
    // A run still going (another variant failed) then simulates every chunk itself.
    for (const { port, mailbox } of this.#channels) {
      port.close();
      Atomics.store(mailbox, 1, 1);
      Atomics.notify(mailbox, 0);
    }
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #request(m: ToPool, port: MessagePort, mailbox: Int32Array): void {
    const key = createHash("sha256").update(serialize(m.request)).digest("hex");
    let journal = this.#journals.get(key);
    if (journal === undefined) {
      journal = journalBuffer(JOURNAL_BYTES);
      this.#journals.set(key, journal);
      joinJournal(journal);
      this.#queue.push({ request: m.request, journal, key });
      this.#dispatch();
    } else {
      joinJournal(journal);
    }
    port.postMessage({ id: m.id, journal } satisfies FromPool);
    Atomics.add(mailbox, 0, 1);
    Atomics.notify(mailbox, 0);
  }

  #dispatch(): void {
    if (!this.#closed && this.#workers.length < this.#maxWorkers) this.#spawn();
    while (this.#queue.length > 0 && this.#idle.length > 0) {
      const job = this.#queue.shift()!;
      const worker = this.#idle.pop()!;
      this.#running.set(worker, job.journal);
      journalRunning(job.journal);
      worker.once("message", (done: AheadJobDone) => {
        this.#running.delete(worker);
        // A speculation cut short (nobody read on) is not kept for a later identical request.
        const finished = "finished" in done && done.finished;
        if (!finished) this.#journals.delete(job.key);
        this.jobs[finished ? "finished" : "cut"]++;
        this.#idle.push(worker);
        this.#dispatch();
        if (this.#running.size === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
      });
      worker.postMessage({ request: job.request, journal: job.journal } satisfies AheadJob);
    }
  }

  #spawn(): void {
    const worker = new Worker(WORKER_URL, { name: "khugesim-ahead", workerData: { engine: this.#engine } });
    this.#starting.push(new Promise<void>((resolve) => {
      worker.once("message", (_: AheadWorkerReady) => {
        this.#idle.push(worker);
        this.#dispatch();
        resolve();
      });
      worker.once("exit", () => resolve());
    }));
    // A thread that dies ends its speculation's journal: the runs simulate those chunks themselves.
    worker.on("error", () => {});
    worker.on("exit", () => {
      const journal = this.#running.get(worker);
      if (journal !== undefined) endJournal(journal);
      this.#running.delete(worker);
      this.#workers.splice(this.#workers.indexOf(worker), 1);
      if (this.#idle.includes(worker)) this.#idle.splice(this.#idle.indexOf(worker), 1);
      if (!this.#closed) this.#dispatch();
      if (this.#running.size === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
    });
    this.#workers.push(worker);
  }
}

/** A run's side of a channel: the AheadSource its runScenario() takes, and close() for the run's end. */
export function aheadClient(channel: AheadChannel): AheadSource & { close(): void } {
  const { port, mailbox, worthAccesses, startGraceMs } = channel;
  const box = new Int32Array(mailbox);
  const journals = new Map<number, SharedArrayBuffer>();
  const readers: AheadReader[] = [];
  let next = 0;
  /** The journal of request `id`, waiting for the pool's reply; null once the pool has closed. */
  const journal = (id: number): SharedArrayBuffer | null => {
    for (;;) {
      const got = journals.get(id);
      if (got !== undefined) return got;
      const seen = Atomics.load(box, 0);
      const m = receiveMessageOnPort(port);
      if (m !== undefined) journals.set((m.message as FromPool).id, (m.message as FromPool).journal);
      else if (Atomics.load(box, 1) !== 0) return null;
      else Atomics.wait(box, 0, seen, 50);
    }
  };
  return {
    worthAccesses,
    start(request) {
      const id = next++;
      port.postMessage({ id, request } satisfies ToPool);
      let reader: JournalReader | null | undefined;
      const open = () => {
        if (reader === undefined) {
          const buffer = journal(id);
          reader = buffer === null ? null : new JournalReader(buffer, startGraceMs);
        }
        return reader;
      };
      const lazy: AheadReader = { record: (n) => open()?.record(n) ?? null, leave: () => open()?.leave() };
      readers.push(lazy);
      return lazy;
    },
    close() {
      for (const r of readers) r.leave();
      port.close();
    },
  };
}
