/**
 * The records of one speculation in a SharedArrayBuffer: the thread simulating ahead
 * appends, the runs that asked for it read, each waiting (Atomics.wait, so not on a
 * browser's main thread) for a record not yet written. Record 0 holds the TLB state the
 * speculation starts from; records 1… the chunks (ahead_request.ts).
 */
import { type AheadChunk, readRecord, recordBytes, writeRecord } from "./ahead_request.ts";

const HEADER_BYTES = 64;
/** How long a run waits for a thread to take a speculation on before it goes on without it. */
export const START_GRACE_MS = 20;
/**
 * Header words: records written, ended (no more will be), readers still reading,
 * state() bytes of the TLB, and whether a thread has taken the speculation on.
 */
const COUNT = 0, ENDED = 1, READERS = 2, TLB_BYTES = 3, RUNNING = 4;

/** A journal's buffer: `capacityBytes` of records after the header (zero pages cost no memory until written). */
export function journalBuffer(capacityBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
}

/** The reader count of a journal: a run asking for it joins before it is handed over. */
export function joinJournal(buffer: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(buffer, 0, 5), READERS, 1);
}

/** A thread takes the speculation on: from now a reader waits for its records. */
export function journalRunning(buffer: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(buffer, 0, 5), RUNNING, 1);
}

/** End a journal whose speculation failed before it wrote (its readers then simulate every chunk themselves). */
export function endJournal(buffer: SharedArrayBuffer): void {
  const header = new Int32Array(buffer, 0, 5);
  Atomics.store(header, ENDED, 1);
  Atomics.notify(header, COUNT);
}

/** The writing side. */
export class JournalWriter {
  readonly #buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  readonly #record: number;

  constructor(buffer: SharedArrayBuffer, tlbBytes: number) {
    this.#buffer = buffer;
    this.#header = new Int32Array(buffer, 0, 5);
    this.#record = recordBytes(tlbBytes);
    Atomics.store(this.#header, TLB_BYTES, tlbBytes);
  }

  /** Whether a run still reads the journal. */
  wanted(): boolean {
    return Atomics.load(this.#header, READERS) > 0 && Atomics.load(this.#header, ENDED) === 0;
  }

  /** Append a record; false (and the journal ends) when it is full. */
  append(c: AheadChunk): boolean {
    const n = Atomics.load(this.#header, COUNT);
    const at = HEADER_BYTES + n * this.#record;
    if (at + this.#record > this.#buffer.byteLength) {
      this.end();
      return false;
    }
    writeRecord(this.#buffer, at, c);
    Atomics.store(this.#header, COUNT, n + 1);
    Atomics.notify(this.#header, COUNT);
    return true;
  }

  /** No more records will come. */
  end(): void {
    endJournal(this.#buffer);
  }
}

/** The reading side of one run. */
export class JournalReader {
  readonly #buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  #left = false;
  #graced = false;
  readonly #graceMs: number;

  /** A reader of the journal in `buffer` that gives a thread `graceMs` to take its speculation on. */
  constructor(buffer: SharedArrayBuffer, graceMs = START_GRACE_MS) {
    this.#buffer = buffer;
    this.#header = new Int32Array(buffer, 0, 5);
    this.#graceMs = graceMs;
  }

  /**
   * Record `n`, waiting until it is written; null when the journal ended before it, or
   * when no thread has taken its speculation on (a run does not wait for one to be free).
   */
  record(n: number): AheadChunk | null {
    for (;;) {
      const count = Atomics.load(this.#header, COUNT);
      if (n < count) {
        const tlbBytes = Atomics.load(this.#header, TLB_BYTES);
        return readRecord(this.#buffer, HEADER_BYTES + n * recordBytes(tlbBytes), tlbBytes);
      }
      if (Atomics.load(this.#header, ENDED) !== 0) return null;
      if (count === 0 && Atomics.load(this.#header, RUNNING) === 0) {
        if (this.#graced) return null;
        this.#graced = true;
        Atomics.wait(this.#header, COUNT, 0, this.#graceMs);
        continue;
      }
      Atomics.wait(this.#header, COUNT, count, 1000);
    }
  }

  /** This run reads no more: the writer may stop when no run reads. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    Atomics.sub(this.#header, READERS, 1);
  }
}
