/**
 * A run whose every translation is already in the L1: when each page the stream can
 * reach is a 2 MiB page translated by an entry of a fully associative (wide) L1 that
 * holds both page sizes, as Zen's does, every access hits it, and a hit changes nothing
 * but the LRU order. The run's state after n accesses is then known from its last
 * accesses alone: the ways of the stream's translations, most recently used first, then
 * the other ways in their old order. So the stream is jumped ahead to its last K
 * accesses (its PRNG by GF(2) jump-ahead, a sweep's cursor by arithmetic) and the core
 * runs only those, from a list with the stream's ways moved behind the others: if
 * afterwards the stream's ways are the first ones, each of them was used in the last K
 * accesses, and the list is the one the whole run leaves. Otherwise everything is put
 * back and the caller runs the core over all n. Counts and bytes are the core's, access
 * for access (the seed experiment's all-2 MiB phases take 0.17 s of CPU, not 2.2 s).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PMD } from "../core/layout.ts";
import type { TlbCore } from "./tlb_core.ts";
import {
  DESC_INDEX, DESC_INDEX_SHIFT, DESC_LINKS, DESC_ORDER, DESC_TAGS, DESC_WAYS, HUGE_TAG, KIND_SEQUENTIAL, KIND_UNIFORM,
  OUT_ACCESSES, OUT_BYTES, OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_LOADS, STREAM_BASE_PAGE, STREAM_BYTES, STREAM_DIR, STREAM_KIND,
  STREAM_P0, STREAM_P1, STREAM_P2, STREAM_P3, STREAM_PAGES, STREAM_RNG, STREAM_STORE_THRESHOLD, TLB_HOST_LEVELS,
  TLB_L1_2M, TLB_L1_4K,
} from "./tlb_layout.ts";
import { splinters } from "./virtualization.ts";
import { probeSlot } from "./wide_index.ts";
import { jumpXoshiro128 } from "./xoshiro_jump.ts";

/**
 * Accesses simulated per translation of the stream in the first try: for uniform draws
 * over r translations the chance that one is missed in 16r accesses is below r·e^-16.
 */
const TAIL_PER_TRANSLATION = 16;
/** Each retry simulates this many times more; past half the run, or past MAX_TAIL, the core runs it all. */
const TAIL_GROWTH = 8;
/** At most one core call's worth (TaskTlb's MAX_RUN): a longer call would not pick up V8's optimised tier. */
const MAX_TAIL = 2 ** 20;

/** The wide L1 of a TLB block whose descriptors for both page sizes are one array, else null. */
function sharedWideL1(u32: Uint32Array, tlb: number) {
  const d4 = (tlb + TLB_L1_4K) >>> 2;
  const d2 = (tlb + TLB_L1_2M) >>> 2;
  const ways = u32[d4 + DESC_WAYS / 4];
  if (ways === 0 || u32[d4 + DESC_INDEX / 4] === 0 || u32[d4 + DESC_TAGS / 4] !== u32[d2 + DESC_TAGS / 4]) return null;
  return {
    ways,
    tags: u32[d4 + DESC_TAGS / 4] >>> 2,
    ends: u32[d4 + DESC_ORDER / 4] >>> 2,
    prevs: u32[d4 + DESC_LINKS / 4] >>> 1,
    slots: u32[d4 + DESC_INDEX / 4] >>> 1,
    shift: u32[d4 + DESC_INDEX_SHIFT / 4],
  };
}

/**
 * The ways holding the 2 MiB translations of every page the stream at `stream` can
 * reach, or null when one of its pages is mapped by 4 KiB pages (which PTE coalescing
 * may translate by a group entry), some translation is not in the L1, or they fill it
 * (then no other way is left to show which of them the tail used).
 */
function streamWays(memory: CoreMemory, tlb: number, stream: number, l1: NonNullable<ReturnType<typeof sharedWideL1>>): number[] | null {
  const u32 = memory.u32;
  const u16 = new Uint16Array(memory.memory.buffer);
  const sw = stream >>> 2;
  const dir = u32[sw + STREAM_DIR / 4] >>> 2;
  const first = u32[sw + STREAM_BASE_PAGE / 4] >>> 9;
  const last = (u32[sw + STREAM_BASE_PAGE / 4] + u32[sw + STREAM_PAGES / 4] - 1) >>> 9;
  if (last - first + 1 >= l1.ways || splinters(u32[(tlb >>> 2) + TLB_HOST_LEVELS / 4])) return null;
  const ways: number[] = [];
  for (let pmd = first; pmd <= last; pmd++) {
    if ((u32[dir + pmd] & PMD.HUGE) === 0) return null;
    const e = u16[l1.slots + probeSlot(u16, u32, l1.slots, l1.tags, (HUGE_TAG | pmd) >>> 0, l1.shift)];
    if (e === 0) return null;
    ways.push(e - 1);
  }
  return ways;
}

/** The L1's ways from MRU to LRU. */
function listOrder(u32: Uint32Array, u16: Uint16Array, l1: NonNullable<ReturnType<typeof sharedWideL1>>): number[] {
  const order: number[] = [];
  const nexts = l1.prevs + l1.ways;
  for (let way = u32[l1.ends], i = 0; i < l1.ways; i++, way = u16[nexts + way]) order.push(way);
  return order;
}

/** Rewrite the circular list as `order`, MRU first. */
function writeOrder(u32: Uint32Array, u16: Uint16Array, l1: NonNullable<ReturnType<typeof sharedWideL1>>, order: number[]): void {
  const n = order.length;
  const nexts = l1.prevs + l1.ways;
  for (let i = 0; i < n; i++) {
    u16[nexts + order[i]] = order[(i + 1) % n];
    u16[l1.prevs + order[i]] = order[(i + n - 1) % n];
  }
  u32[l1.ends] = order[0];
  u32[l1.ends + 1] = order[n - 1];
}

/** Move the stream at `stream` on by `accesses` accesses without simulating them. */
function skipAccesses(u32: Uint32Array, stream: number, accesses: number): void {
  const sw = stream >>> 2;
  const kind = u32[sw + STREAM_KIND / 4];
  if (kind === KIND_SEQUENTIAL) {
    const span = BigInt(u32[sw + STREAM_PAGES / 4]) * 4096n;
    const stride = BigInt(u32[sw + STREAM_P0 / 4]) * 4096n + BigInt(u32[sw + STREAM_P1 / 4]);
    const at = (BigInt(u32[sw + STREAM_P2 / 4]) * 4096n + BigInt(u32[sw + STREAM_P3 / 4]) + BigInt(accesses) * stride) % span;
    u32[sw + STREAM_P2 / 4] = Number(at / 4096n);
    u32[sw + STREAM_P3 / 4] = Number(at % 4096n);
    return;
  }
  // Uniform takes one draw per access; hot and Zipf two.
  const rng = u32.subarray(sw + STREAM_RNG / 4, sw + STREAM_RNG / 4 + 4);
  for (let d = kind === KIND_UNIFORM ? 1 : 2; d > 0; d--) jumpXoshiro128(rng, accesses);
}

/**
 * Simulate `count` accesses of the stream at `stream` through the TLB at `tlb` as
 * `core.tlbRun` would, writing the counters to `out`, when every one of them is an L1
 * hit known in advance (module comment); returns false, having changed nothing, when
 * that cannot be shown (a stream with stores draws a load-or-store per access, which
 * has no shortcut).
 */
export function runResidentL1(memory: CoreMemory, core: TlbCore, tlb: number, stream: number, count: number, out: number): boolean {
  const u32 = memory.u32;
  if (u32[(stream >>> 2) + STREAM_STORE_THRESHOLD / 4] !== 0) return false;
  const l1 = sharedWideL1(u32, tlb);
  if (l1 === null) return false;
  const ways = streamWays(memory, tlb, stream, l1);
  if (ways === null) return false;
  const u16 = new Uint16Array(memory.memory.buffer);
  const mine = new Uint8Array(l1.ways);
  for (const w of ways) mine[w] = 1;
  const linkWords = [l1.prevs, l1.prevs + 2 * l1.ways] as const;
  const savedLinks = u16.slice(...linkWords);
  const savedEnds = u32.slice(l1.ends, l1.ends + 2);
  const savedStream = u32.slice(stream >>> 2, (stream + STREAM_BYTES) >>> 2);
  const before = listOrder(u32, u16, l1);
  const others = before.filter((w) => mine[w] === 0);
  for (let tail = TAIL_PER_TRANSLATION * ways.length; 2 * tail <= count && tail <= MAX_TAIL; tail *= TAIL_GROWTH) {
    writeOrder(u32, u16, l1, [...others, ...before.filter((w) => mine[w] === 1)]);
    skipAccesses(u32, stream, count - tail);
    core.tlbRun(tlb, stream, tail, out);
    const f64 = new Float64Array(memory.memory.buffer, out, OUT_BYTES / 8);
    if (f64[OUT_L1_MISSES_4K / 8] + f64[OUT_L1_MISSES_2M / 8] !== 0) {
      throw new Error("TLB shortcut: an access the L1 was shown to hold missed it");
    }
    if (listOrder(u32, u16, l1).slice(0, ways.length).every((w) => mine[w] === 1)) {
      f64[OUT_ACCESSES / 8] = count;
      f64[OUT_LOADS / 8] = count;
      return true;
    }
    u16.set(savedLinks, linkWords[0]);
    u32.set(savedEnds, l1.ends);
    u32.set(savedStream, stream >>> 2);
  }
  return false;
}
