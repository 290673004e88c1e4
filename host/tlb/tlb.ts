/**
 * One task's data TLBs in core memory: the block layout of host/tlb/tlb_layout.ts built
 * from a preset, and the host side of a run (chunking, reading the counters back).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PTES_PER_PMD } from "../core/layout.ts";
import type { AccessStream } from "./access_stream.ts";
import type { TlbArray, TlbPreset } from "./presets.ts";
import { addCounts, type TlbCounts, zeroCounts } from "./tlb_counts.ts";
import type { TlbCore } from "./tlb_core.ts";
import { runResidentL1 } from "./l1_resident.ts";
import { deleteSlot, probeSlot, relinkBetweenEnds } from "./wide_index.ts";
import {
  COALESCED_TAG, DESC_INDEX, DESC_INDEX_SHIFT, DESC_LINKS, DESC_ORDER, DESC_SET_MASK, DESC_TAGS, DESC_WAYS, HUGE_TAG, OUT_ACCESSES,
  NARROW_SLOTS, OUT_BYTES, OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_L2_HITS, OUT_LOADS, OUT_STORES, OUT_WALK_REFS, OUT_WALKS,
  OUT_WALKS_ON_LOADS, TAG_INVALID, TLB_HEADER_BYTES, TLB_L1_2M, TLB_L1_4K, TLB_L2_2M, TLB_L2_4K, TLB_PWC_PGD,
  TLB_COALESCE_SHIFT, TLB_HOST_LEVELS, TLB_HOST_MIX, TLB_HOST_MIX_1G, TLB_HOST_MIX_4K, TLB_HOST_MIX_SEED, TLB_NPWC, TLB_NTLB, TLB_PWC_PMD, TLB_PWC_PUD,
} from "./tlb_layout.ts";
import { BARE_METAL_MMU, hostLevels, mixThresholds, splinters, type Virtualization } from "./virtualization.ts";

/** Ages fit one 16-lane vector; a wider set must be fully associative (a hashed LRU list). */
const NARROW_MAX_WAYS = NARROW_SLOTS;
/**
 * Hash index slots per way: at most 1/64 full, so a probe almost always ends at its home
 * slot. Each probe step past home is a branch the CPU mispredicts; at 1/16 full the
 * Zen 5 loop ran about 10 % slower (bench/tlb.ts).
 */
const INDEX_SLOTS_PER_WAY = 64;
/**
 * Accesses per core call. WASM has no on-stack replacement: a call keeps the code it
 * started with, so a long run is cut into calls that pick up V8's optimised tier once
 * it is ready instead of spending the whole run in the baseline compiler's code.
 */
const MAX_RUN = 2 ** 20;

interface ArrayPlacement {
  tags: number;
  /** Ages of a narrow array, the MRU and LRU words of a wide one. */
  order: number;
  sets: number;
  ways: number;
  /** Hash index of a wide array (0 for a narrow one), its shift and slot count. */
  index: number;
  indexShift: number;
  indexSlots: number;
  links: number;
}

/** log2 of the preset's `pteCoalescing`; throws RangeError unless it is 1 or a power of two from 2 to 16. */
function coalesceShift(preset: TlbPreset): number {
  const n = preset.pteCoalescing;
  if (!(Number.isInteger(n) && n >= 1 && n <= 16 && (n & (n - 1)) === 0)) {
    throw new RangeError(`Cannot build TLB "${preset.name}": pteCoalescing must be 1, 2, 4, 8 or 16, got ${n}`);
  }
  return Math.log2(n);
}

/** Data TLBs of one task, living in core memory and simulated by a TlbCore. */
export class TaskTlb {
  readonly preset: TlbPreset;
  readonly virtualization: Virtualization;
  /** Byte offset of the TLB block. */
  readonly ptr: number;
  readonly #memory: CoreMemory;
  readonly #core: TlbCore;
  readonly #out: number;
  readonly #arrays: ArrayPlacement[] = [];
  /** The L1 and L2 arrays, each once. */
  readonly #translations: ArrayPlacement[] = [];
  readonly #walkCaches: ArrayPlacement[] = [];
  readonly #coalesceShift: number;
  /** The arrays' bytes (what runs and flushes change), [start, end) in core memory: see state(). */
  readonly #state: { start: number; end: number };

  /** Allocate the preset's arrays in `memory`, empty, to be simulated by `core` under `virtualization`. */
  constructor(memory: CoreMemory, core: TlbCore, preset: TlbPreset, virtualization: Virtualization = BARE_METAL_MMU) {
    this.preset = preset;
    this.virtualization = virtualization;
    this.#memory = memory;
    this.#core = core;
    this.ptr = memory.alloc(TLB_HEADER_BYTES, 64);
    this.#out = memory.alloc(OUT_BYTES, 8);
    const stateStart = memory.usedBytes;
    const l1 = this.#place(preset.l1, "l1");
    const l1Huge = preset.l1Huge === "shared" ? l1 : this.#place(preset.l1Huge, "l1Huge");
    const l2 = this.#place(preset.l2, "l2");
    const absent: ArrayPlacement = { tags: 0, order: 0, sets: 1, ways: 0, index: 0, indexShift: 0, indexSlots: 0, links: 0 };
    const pwc = preset.pageWalkCaches;
    this.#describe(TLB_L1_4K, l1);
    this.#describe(TLB_L1_2M, l1Huge);
    this.#describe(TLB_L2_4K, l2);
    this.#describe(TLB_L2_2M, preset.l2HoldsHuge ? l2 : absent);
    this.#describe(TLB_PWC_PMD, pwc.pmd ? this.#place(pwc.pmd, "pageWalkCaches.pmd") : absent);
    this.#describe(TLB_PWC_PUD, pwc.pud ? this.#place(pwc.pud, "pageWalkCaches.pud") : absent);
    this.#describe(TLB_PWC_PGD, pwc.pgd ? this.#place(pwc.pgd, "pageWalkCaches.pgd") : absent);
    // A guest's INVLPG leaves the host's translations alone: the nested caches only empty with the whole TLB.
    const walkCaches = [...this.#arrays];
    const nested = virtualization.mode === "nested" ? preset.nestedWalkCaches : { ntlb: null, pwc: null };
    this.#describe(TLB_NTLB, nested.ntlb ? this.#place(nested.ntlb, "nestedWalkCaches.ntlb") : absent);
    this.#describe(TLB_NPWC, nested.pwc ? this.#place(nested.pwc, "nestedWalkCaches.pwc") : absent);
    const levels = hostLevels(virtualization);
    memory.u32[(this.ptr + TLB_HOST_LEVELS) >>> 2] = levels;
    // Under 4 KiB host pages a guest's contiguous frames need not be contiguous in the
    // host: the model does not know, and coalesces nothing there (a mix: per region).
    const mix = virtualization.mode === "nested" ? virtualization.mix : undefined;
    this.#coalesceShift = mix === undefined && splinters(levels) ? 0 : coalesceShift(preset);
    memory.u32[(this.ptr + TLB_COALESCE_SHIFT) >>> 2] = this.#coalesceShift;
    if (mix !== undefined) {
      const { t1g, t4k } = mixThresholds(mix.fractions);
      const w = this.ptr >>> 2;
      [memory.u32[w + TLB_HOST_MIX / 4], memory.u32[w + TLB_HOST_MIX_SEED / 4]] = [1, mix.seed];
      [memory.u32[w + TLB_HOST_MIX_1G / 4], memory.u32[w + TLB_HOST_MIX_4K / 4]] = [t1g, t4k];
    }
    this.#translations.push(...new Set([l1, l1Huge, l2]));
    this.#walkCaches.push(...walkCaches.filter((a) => !this.#translations.includes(a)));
    this.#state = { start: stateStart, end: memory.usedBytes };
    this.reset();
  }

  /**
   * The arrays' contents as one byte range of core memory, holding no addresses: two
   * TLBs built from one preset and virtualization have the same state when these bytes
   * are equal, in any core memory (every block is placed at the same offset from a
   * 64-byte-aligned header).
   */
  state(): Uint8Array {
    return new Uint8Array(this.#memory.memory.buffer, this.#state.start, this.#state.end - this.#state.start);
  }

  /** Empty every array (a full TLB flush). */
  reset(): void {
    for (const a of this.#arrays) this.#empty(a);
  }

  /**
   * INVLPG of each 4 KiB page in `pages` (numbered from directory entry 0, as a stream's
   * pages are): the L1 and L2 entries translating it, 4 KiB or 2 MiB, go, and their ways
   * become the LRU ones of their sets. Every page-walk-cache entry goes too: Intel's
   * SDM (4.10.4.1) has INVLPG invalidate all paging-structure caches of the PCID.
   */
  invalidatePages(pages: Iterable<number>): void {
    for (const page of pages) {
      const pmd = Math.floor(page / PTES_PER_PMD);
      for (const a of this.#translations) {
        this.#drop(a, page, page);
        this.#drop(a, (HUGE_TAG | pmd) >>> 0, pmd);
        if (this.#coalesceShift !== 0) {
          const group = page >>> this.#coalesceShift;
          this.#drop(a, (COALESCED_TAG | group) >>> 0, group);
        }
      }
    }
    for (const a of this.#walkCaches) this.#empty(a);
  }

  #empty(a: ArrayPlacement): void {
    const u32 = this.#memory.u32;
    const u8 = new Uint8Array(this.#memory.memory.buffer);
    if (a.index === 0) {
      // Ways 0..ways-1 get distinct ages (every one empty); unused lanes stay out of play.
      u32.fill(TAG_INVALID, a.tags >>> 2, (a.tags >>> 2) + a.sets * NARROW_SLOTS);
      for (let set = 0; set < a.sets; set++) {
        for (let lane = 0; lane < NARROW_SLOTS; lane++) {
          u8[a.order + set * NARROW_SLOTS + lane] = lane < a.ways ? lane : 255;
        }
      }
      return;
    }
    // The circular list runs 0 (MRU) to ways - 1 (LRU); every way is empty and out of the index.
    u32.fill(TAG_INVALID, a.tags >>> 2, (a.tags >>> 2) + a.ways);
    u32[a.order >>> 2] = 0;
    u32[(a.order >>> 2) + 1] = a.ways - 1;
    const links = new Uint16Array(this.#memory.memory.buffer, a.links, 2 * a.ways);
    for (let i = 0; i < a.ways; i++) {
      links[i] = (i + a.ways - 1) % a.ways;
      links[a.ways + i] = (i + 1) % a.ways;
    }
    new Uint16Array(this.#memory.memory.buffer, a.index, a.indexSlots).fill(0);
  }

  /** Invalidate `tag` (set by `key`) in `a` if it holds it: the way empties and becomes its set's LRU way. */
  #drop(a: ArrayPlacement, tag: number, key: number): void {
    const u32 = this.#memory.u32;
    if (a.index === 0) {
      const base = (a.tags >>> 2) + (key & (a.sets - 1)) * NARROW_SLOTS;
      const ages = new Uint8Array(this.#memory.memory.buffer, a.order + (key & (a.sets - 1)) * NARROW_SLOTS, a.ways);
      const way = u32.subarray(base, base + a.ways).indexOf(tag);
      if (way < 0) return;
      for (let i = 0; i < a.ways; i++) if (ages[i] > ages[way]) ages[i]--;
      ages[way] = a.ways - 1;
      u32[base + way] = TAG_INVALID;
      return;
    }
    const u16 = new Uint16Array(this.#memory.memory.buffer);
    const slots = a.index >>> 1;
    const tags = a.tags >>> 2;
    const s = probeSlot(u16, u32, slots, tags, tag, a.indexShift);
    if (u16[slots + s] === 0) return;
    const way = u16[slots + s] - 1;
    deleteSlot(u16, u32, slots, tags, (a.links >>> 2) + a.ways, s, a.indexShift);
    u32[tags + way] = TAG_INVALID;
    // Make the way the LRU one: in the circular list that is the place between the LRU and the MRU way.
    const ends = a.order >>> 2;
    const prev = a.links >>> 1;
    const next = prev + a.ways;
    const head = u32[ends];
    const tail = u32[ends + 1];
    if (way === tail) return;
    if (way === head) {
      u32[ends] = u16[next + way];
      u32[ends + 1] = way;
      return;
    }
    relinkBetweenEnds(u16, prev, next, way, head, tail);
    u32[ends + 1] = way;
  }

  /** Simulate the next `count` accesses of `stream` and return their counts. */
  run(stream: AccessStream, count: number): TlbCounts {
    if (!(Number.isSafeInteger(count) && count >= 0)) {
      throw new RangeError(`Cannot run the TLB: count must be a non-negative integer, got ${count}`);
    }
    if (runResidentL1(this.#memory, this.#core, this.ptr, stream.ptr, count, this.#out)) return this.#readOut();
    const total = zeroCounts();
    for (let done = 0; done < count; done += MAX_RUN) {
      this.#core.tlbRun(this.ptr, stream.ptr, Math.min(MAX_RUN, count - done), this.#out);
      addCounts(total, this.#readOut());
    }
    return total;
  }

  #readOut(): TlbCounts {
    const f64 = new Float64Array(this.#memory.memory.buffer, this.#out, OUT_BYTES / 8);
    const walks = f64[OUT_WALKS / 8];
    const walkRefs = f64[OUT_WALK_REFS / 8];
    return {
      accesses: f64[OUT_ACCESSES / 8],
      loads: f64[OUT_LOADS / 8],
      stores: f64[OUT_STORES / 8],
      l1Misses4k: f64[OUT_L1_MISSES_4K / 8],
      l1Misses2m: f64[OUT_L1_MISSES_2M / 8],
      l2Hits: f64[OUT_L2_HITS / 8],
      walks,
      walksOnLoads: f64[OUT_WALKS_ON_LOADS / 8],
      walkRefs,
      walkCycles: walks * this.preset.walkBaseCycles + walkRefs * this.preset.walkRefCycles,
    };
  }

  #place(array: TlbArray, field: string): ArrayPlacement {
    const { entries, ways } = array;
    const sets = entries / ways;
    const wide = sets === 1 && ways > NARROW_MAX_WAYS;
    if (!(Number.isInteger(ways) && ways >= 1 && Number.isInteger(sets) && (sets & (sets - 1)) === 0 &&
      (wide ? ways <= 0xffff : ways <= NARROW_MAX_WAYS))) {
      throw new RangeError(
        `Cannot build TLB "${this.preset.name}": ${field} must have a power-of-two number of sets of at most ` +
          `${NARROW_MAX_WAYS} ways, or be fully associative with at most 65535 entries, got ${entries} entries ` +
          `in ${ways} ways`,
      );
    }
    let tags: number;
    let order: number;
    let index = 0;
    let indexSlots = 0;
    let indexShift = 0;
    let links = 0;
    if (wide) {
      tags = this.#memory.alloc(ways * 4, 64);
      order = this.#memory.alloc(8, 8);
      const bits = Math.ceil(Math.log2(ways * INDEX_SLOTS_PER_WAY));
      indexSlots = 2 ** bits;
      indexShift = 32 - bits;
      index = this.#memory.alloc(indexSlots * 2, 64);
      // u16 prev and next, then u32 slot, per way.
      links = this.#memory.alloc(ways * 8, 4);
    } else {
      tags = this.#memory.alloc(sets * NARROW_SLOTS * 4, 64);
      order = this.#memory.alloc(sets * NARROW_SLOTS, 16);
    }
    const placement = { tags, order, sets, ways, index, indexShift, indexSlots, links };
    this.#arrays.push(placement);
    return placement;
  }

  #describe(offset: number, a: ArrayPlacement): void {
    const w = (this.ptr + offset) >>> 2;
    const u32 = this.#memory.u32;
    u32[w + DESC_TAGS / 4] = a.tags;
    u32[w + DESC_ORDER / 4] = a.order;
    u32[w + DESC_SET_MASK / 4] = a.sets - 1;
    u32[w + DESC_WAYS / 4] = a.ways;
    u32[w + DESC_INDEX / 4] = a.index;
    u32[w + DESC_INDEX_SHIFT / 4] = a.indexShift;
    u32[w + DESC_LINKS / 4] = a.links;
  }
}
