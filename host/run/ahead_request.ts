/**
 * What a task's access chunks simulated ahead depend on, as plain data (the request a
 * speculation starts from), and how each speculated chunk is written down (the record a
 * run takes it back from). A chunk's result is a function of its inputs alone: the
 * task's TLB state, its stream's state, the translations of the pages it can reach (PMD
 * entries and the PTE frames and permission bits the TLB core reads), the chunk's start,
 * access limit and budget, the pace and the sampling. A run takes a speculated chunk
 * only when every one of them is as the speculation had it (ahead_take.ts).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PMD, PTE, PTE_TABLE_BYTES, PTES_PER_PMD } from "../core/layout.ts";
import type { CostModel } from "../tlb/cost_model.ts";
import type { AccessPattern } from "../tlb/access_stream.ts";
import type { TlbPreset } from "../tlb/presets.ts";
import { KIND_ZIPF, STREAM_BYTES, STREAM_DIR, STREAM_KIND, STREAM_P0 } from "../tlb/tlb_layout.ts";
import type { TlbCounts } from "../tlb/tlb_counts.ts";
import type { Virtualization } from "../tlb/virtualization.ts";
import type { ChunkResult, TlbSampling } from "./access_sim.ts";

/** An access phase of the task's upcoming steps. */
export interface AheadPhase {
  /** Index into the request's streams. */
  readonly stream: number;
  /** The phase's access count, or Infinity. */
  readonly count: number;
  /** Its duration in ns, or null to run to the run's end. */
  readonly durationNs: number | null;
  /** Accesses per second as given, or the cost model's pace. */
  readonly pace: { readonly rate: number } | { readonly model: CostModel; readonly overheadNs: number };
}

/** A sleep or an access phase, in the task's order. */
export type AheadWait = { readonly sleepNs: number } | { readonly phase: AheadPhase };

/** A stream the phases draw from: its region (directory-relative), pattern and seed, and its state if it ran before. */
export interface AheadStream {
  readonly firstPmd: number;
  readonly offset: number;
  readonly length: number;
  readonly pattern: AccessPattern;
  readonly seed: number;
  readonly state: { readonly words: Uint32Array; readonly realIndex: number } | null;
}

export interface AheadRequest {
  /** When the first wait begins. */
  readonly startNs: number;
  readonly intervalNs: number;
  readonly endNs: number;
  readonly sampling: TlbSampling;
  readonly preset: TlbPreset;
  readonly virtualization: Virtualization;
  /** The TLB's state() bytes, or null for a TLB not built yet (empty). */
  readonly tlb: Uint8Array | null;
  /** Directory entries firstPmd..lastPmd and their PTE tables as pageWords() reads them. */
  readonly pages: { readonly firstPmd: number; readonly lastPmd: number; readonly words: Uint32Array };
  readonly waits: readonly AheadWait[];
  readonly streams: readonly AheadStream[];
}

/** The bits of a PTE's low word the TLB core reads (coalescing compares them): present and writable. */
const PTE_SEEN = PTE.PRESENT | PTE.WRITE;

/** Byte offset of a directory entry's PTE table, or 0 for none (empty, huge or migrating). */
function tableOf(e: number): number {
  return e === 0 || (e & (PMD.HUGE | PMD.MIGRATION)) !== 0 ? 0 : (e & PMD.INDEX_MASK) * PTE_TABLE_BYTES;
}

/** Words of pageWords() for entries `first..last` at `dir` (the directory entries, then 1024 per PTE table). */
function pageWordCount(memory: CoreMemory, dir: number, first: number, last: number): number {
  const entries = memory.u32.subarray((dir >>> 2) + first, (dir >>> 2) + last + 1);
  return entries.reduce((n, e) => n + (tableOf(e) !== 0 ? 2 * PTES_PER_PMD : 0), entries.length);
}

/** Pass each word of pageWords() to `word` with its index, in order, while it returns true; whether all passed. */
function eachPageWord(
  memory: CoreMemory, dir: number, first: number, last: number, word: (k: number, w: number) => boolean,
): boolean {
  const u32 = memory.u32;
  const entries = u32.subarray((dir >>> 2) + first, (dir >>> 2) + last + 1);
  let k = 0;
  for (const e of entries) if (!word(k++, e)) return false;
  for (const e of entries) {
    const t = tableOf(e) >>> 2;
    if (t === 0) continue;
    for (let i = 0; i < 2 * PTES_PER_PMD; i += 2) {
      if (!word(k++, u32[t + i] & PTE_SEEN) || !word(k++, u32[t + i + 1])) return false;
    }
  }
  return true;
}

/**
 * What the TLB core can read of directory entries `first..last` at `dir`: the entries,
 * then per entry with a PTE table its PTEs as (low word & PTE_SEEN, frame) pairs.
 */
export function pageWords(memory: CoreMemory, dir: number, first: number, last: number): Uint32Array {
  const out = new Uint32Array(pageWordCount(memory, dir, first, last));
  eachPageWord(memory, dir, first, last, (k, w) => {
    out[k] = w;
    return true;
  });
  return out;
}

/** Whether the translations at `dir` are still `pages` (pageWords() equal, without building them). */
export function samePages(memory: CoreMemory, dir: number, pages: AheadRequest["pages"]): boolean {
  const { firstPmd, lastPmd, words } = pages;
  return pageWordCount(memory, dir, firstPmd, lastPmd) === words.length &&
    eachPageWord(memory, dir, firstPmd, lastPmd, (k, w) => words[k] === w);
}

/**
 * Write `pages` (pageWords()) into `memory` as a directory of its own with tables of its
 * own; returns the directory's offset, indexed as the original (entry firstPmd first used).
 */
export function placePages(memory: CoreMemory, pages: AheadRequest["pages"]): number {
  const { firstPmd, lastPmd, words } = pages;
  const dir = memory.alloc((lastPmd + 1) * 4, 64);
  let o = lastPmd - firstPmd + 1;
  for (let i = 0; i <= lastPmd - firstPmd; i++) {
    const e = words[i];
    let entry = e;
    if (tableOf(e) !== 0) {
      const t = memory.allocTable();
      memory.u32.set(words.subarray(o, o + 2 * PTES_PER_PMD), t >>> 2);
      o += 2 * PTES_PER_PMD;
      entry = ((e & ~PMD.INDEX_MASK) | (t / PTE_TABLE_BYTES)) >>> 0;
    }
    memory.u32[(dir >>> 2) + firstPmd + i] = entry;
  }
  return dir;
}

/** A stream block's words but its addresses (the directory, a Zipf table): equal for equal streams in any memory. */
export function streamWords(memory: CoreMemory, ptr: number): Uint32Array {
  const w = memory.u32.slice(ptr >>> 2, (ptr + STREAM_BYTES) >>> 2);
  w[STREAM_DIR / 4] = 0;
  if (w[STREAM_KIND / 4] === KIND_ZIPF) w[STREAM_P0 / 4] = 0;
  return w;
}

/** Write streamWords() back into a stream block, leaving its addresses. */
export function setStreamWords(memory: CoreMemory, ptr: number, words: Uint32Array): void {
  const u32 = memory.u32;
  const w = ptr >>> 2;
  for (let i = 0; i < words.length; i++) {
    if (i === STREAM_DIR / 4 || (i === STREAM_P0 / 4 && words[STREAM_KIND / 4] === KIND_ZIPF)) continue;
    u32[w + i] = words[i];
  }
}

const COUNT_KEYS = [
  "accesses", "loads", "stores", "l1Misses4k", "l1Misses2m", "l2Hits", "walks", "walksOnLoads", "walkRefs", "walkCycles",
] as const satisfies ReadonlyArray<keyof TlbCounts>;
/** A record's numbers: the chunk's inputs, then its result (f64 each). */
const NUMBERS = 10 + COUNT_KEYS.length;
const WORDS = STREAM_BYTES / 4;

/** The chunk a record describes: what it started from and what it did. */
export interface AheadChunk {
  now: number;
  maxAccesses: number;
  budgetNs: number;
  stream: number;
  realIndexBefore: number;
  realIndexAfter: number;
  streamBefore: Uint32Array;
  streamAfter: Uint32Array;
  result: ChunkResult;
  /** The TLB's state() after the chunk. */
  tlbAfter: Uint8Array;
}

/** Bytes of a record for a TLB whose state() is `tlbBytes` long (a multiple of 8). */
export function recordBytes(tlbBytes: number): number {
  return Math.ceil((NUMBERS * 8 + 2 * STREAM_BYTES + tlbBytes) / 8) * 8;
}

/** Write `c` at `at` of `buffer`. */
export function writeRecord(buffer: ArrayBufferLike, at: number, c: AheadChunk): void {
  const f = new Float64Array(buffer, at, NUMBERS);
  const r = c.result;
  f.set([c.now, c.maxAccesses, c.budgetNs, c.stream, c.realIndexBefore, c.realIndexAfter,
    r.accesses, r.ns, r.walksVariance, r.simulated, ...COUNT_KEYS.map((k) => r.counts[k])]);
  const words = new Uint32Array(buffer, at + NUMBERS * 8, 2 * WORDS);
  words.set(c.streamBefore);
  words.set(c.streamAfter, WORDS);
  new Uint8Array(buffer, at + NUMBERS * 8 + 2 * STREAM_BYTES, c.tlbAfter.length).set(c.tlbAfter);
}

/** Read the record at `at` of `buffer` (views, not copies) for a TLB state of `tlbBytes`. */
export function readRecord(buffer: ArrayBufferLike, at: number, tlbBytes: number): AheadChunk {
  const f = new Float64Array(buffer, at, NUMBERS);
  const counts = Object.fromEntries(COUNT_KEYS.map((k, i) => [k, f[10 + i]])) as unknown as TlbCounts;
  const words = new Uint32Array(buffer, at + NUMBERS * 8, 2 * WORDS);
  return {
    now: f[0], maxAccesses: f[1], budgetNs: f[2], stream: f[3], realIndexBefore: f[4], realIndexAfter: f[5],
    result: { accesses: f[6], ns: f[7], walksVariance: f[8], simulated: f[9], counts },
    streamBefore: words.subarray(0, WORDS),
    streamAfter: words.subarray(WORDS),
    tlbAfter: new Uint8Array(buffer, at + NUMBERS * 8 + 2 * STREAM_BYTES, tlbBytes),
  };
}
