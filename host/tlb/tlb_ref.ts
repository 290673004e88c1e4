/**
 * The TypeScript twin of assembly/tlb.ts: the same access loop over the same memory,
 * the same xoshiro128** stream and the same LRU bookkeeping (the core's SIMD age update
 * is a loop here), so that both leave the same bytes behind. It is the oracle of the
 * differential tests and the speed baseline of bench/tlb.ts.
 */
import { PMD, PTE, PTE_TABLE_BYTES, PTES_PER_PMD } from "../core/layout.ts";
import type { TlbCore } from "./tlb_core.ts";
import { deleteSlot, probeSlot, relinkBetweenEnds } from "./wide_index.ts";
import {
  COALESCED_TAG, DESC_INDEX, DESC_INDEX_SHIFT, DESC_LINKS, DESC_ORDER, DESC_SET_MASK, DESC_TAGS, DESC_WAYS, HUGE_TAG,
  KIND_HOT, KIND_SEQUENTIAL, KIND_UNIFORM, NESTED_1G_TAG, NESTED_2M_TAG, NESTED_512G_TAG, NESTED_PGD_FRAME, NESTED_PMD_FRAMES, NESTED_PUD_FRAMES, NESTED_TABLE_FRAMES, NARROW_SLOTS, OUT_ACCESSES, OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_L2_HITS,
  OUT_LOADS, OUT_STORES, OUT_WALK_REFS, OUT_WALKS, OUT_WALKS_ON_LOADS, STREAM_BASE_PAGE, STREAM_DIR,
  STREAM_KIND, STREAM_P0, STREAM_P1, STREAM_P2, STREAM_P3, STREAM_PAGES, STREAM_RNG, STREAM_STORE_THRESHOLD,
  TAG_INVALID, TLB_COALESCE_SHIFT, TLB_HOST_LEVELS, TLB_HOST_MIX, TLB_HOST_MIX_1G, TLB_HOST_MIX_4K,
  TLB_HOST_MIX_SEED, TLB_NPWC, TLB_NTLB, TLB_L1_2M, TLB_L1_4K, TLB_L2_2M, TLB_L2_4K, TLB_PWC_PGD, TLB_PWC_PMD, TLB_PWC_PUD,
  ZIPF_BUCKET_BYTES,
} from "./tlb_layout.ts";
import { mixedHostLevels, splinters } from "./virtualization.ts";

/** `floor(a * b / 2^32)` for u32 a and b, exact in doubles (each partial product < 2^49). */
function mulHigh(a: number, b: number): number {
  const hi = a >>> 16;
  const lo = a & 0xffff;
  return Math.floor((hi * b + Math.floor((lo * b) / 65536)) / 65536);
}

/** The TypeScript TLB core over `memory`. */
export function createTlbRef(memory: WebAssembly.Memory): TlbCore {
  let u32 = new Uint32Array(memory.buffer);
  let u16 = new Uint16Array(memory.buffer);
  let u8 = new Uint8Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;

  function next(): number {
    const x = Math.imul(s1, 5);
    const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return r;
  }

  function below(n: number): number {
    return mulHigh(next(), n);
  }

  function touchNarrow(d: number, ways: number, tag: number): boolean {
    const w = d >>> 2;
    // A tag's flag bits lie above every set mask: its set is its own.
    const set = (tag & u32[w + DESC_SET_MASK / 4]) >>> 0;
    const base = (u32[w + DESC_TAGS / 4] >>> 2) + set * NARROW_SLOTS;
    const agesAt = u32[w + DESC_ORDER / 4] + set * NARROW_SLOTS;
    let way = -1;
    for (let i = 0; i < ways; i++) {
      if (u32[base + i] === tag) {
        way = i;
        break;
      }
    }
    const hit = way >= 0;
    if (!hit) way = u8.indexOf(ways - 1, agesAt) - agesAt;
    u32[base + way] = tag;
    const age = u8[agesAt + way];
    for (let i = 0; i < ways; i++) if (u8[agesAt + i] < age) u8[agesAt + i]++;
    u8[agesAt + way] = 0;
    return hit;
  }

  function touchWide(d: number, ways: number, index: number, tag: number): boolean {
    const w = d >>> 2;
    const tags = u32[w + DESC_TAGS / 4] >>> 2;
    const ends = u32[w + DESC_ORDER / 4] >>> 2;
    const prevs = u32[w + DESC_LINKS / 4] >>> 1;
    const nexts = prevs + ways;
    const slotOf = (prevs >>> 1) + ways;
    const shift = u32[w + DESC_INDEX_SHIFT / 4];
    const slots = index >>> 1;
    const e = u16[slots + probeSlot(u16, u32, slots, tags, tag, shift)];
    const hit = e !== 0;
    let way = e - 1;
    if (!hit) {
      way = u32[ends + 1];
      if (u32[tags + way] !== TAG_INVALID) deleteSlot(u16, u32, slots, tags, slotOf, u32[slotOf + way], shift);
      u32[tags + way] = tag;
      // The tag is in no slot: its probe ends at the empty slot it goes to.
      const s = probeSlot(u16, u32, slots, tags, tag, shift);
      u16[slots + s] = way + 1;
      u32[slotOf + way] = s;
    }
    const head = u32[ends];
    const tail = u32[ends + 1];
    if (way === tail) {
      u32[ends] = way;
      u32[ends + 1] = u16[prevs + way];
    } else if (way !== head) {
      relinkBetweenEnds(u16, prevs, nexts, way, head, tail);
      u32[ends] = way;
    }
    return hit;
  }

  function touch(d: number, tag: number): boolean {
    const w = d >>> 2;
    const ways = u32[w + DESC_WAYS / 4];
    if (ways === 0) return false;
    const index = u32[w + DESC_INDEX / 4];
    return index === 0 ? touchNarrow(d, ways, tag) : touchWide(d, ways, index, tag);
  }

  /** Whether 4 KiB page `abs` of the PTE table of directory entry `e` is held in a coalesced entry (assembly/tlb.ts coalesces). */
  function coalesces(e: number, abs: number, shift: number): boolean {
    const table = e & PMD.INDEX_MASK;
    if (table === 0 || (e & PMD.MIGRATION) !== 0) return false;
    const n = 2 ** shift;
    const page = ((table * PTE_TABLE_BYTES) >>> 2) + 2 * (abs & (PTES_PER_PMD - 1));
    if (((u32[page + 1] ^ abs) & (n - 1)) !== 0) return false;
    const first = page - 2 * (abs & (n - 1));
    const same = PTE.PRESENT | PTE.WRITE;
    const bits = (u32[first] & same) | PTE.PRESENT;
    const frame = u32[first + 1] & ~(n - 1);
    for (let i = 0; i < n; i++) {
      if ((u32[first + 2 * i] & same) !== bits || u32[first + 2 * i + 1] !== (frame + i) >>> 0) return false;
    }
    return true;
  }

  /** Host walk loads for guest-physical 2 MiB region `region` (assembly/tlb.ts hostLevelsAt). */
  function hostLevelsAt(tlb: number, region: number): number {
    const w = tlb >>> 2;
    if (u32[w + TLB_HOST_MIX / 4] === 0) return u32[w + TLB_HOST_LEVELS / 4];
    return mixedHostLevels(region, u32[w + TLB_HOST_MIX_SEED / 4], u32[w + TLB_HOST_MIX_1G / 4], u32[w + TLB_HOST_MIX_4K / 4]);
  }

  /** The nested caches' tag of frame `frame` in pages of 2^`shift` frames (assembly/tlb.ts nestedTag). */
  function nestedTag(frame: number, shift: number): number {
    if (shift === 0) return frame;
    const prefix = shift === 9 ? NESTED_2M_TAG : shift === 18 ? NESTED_1G_TAG : NESTED_512G_TAG;
    return (prefix | (frame >>> shift)) >>> 0;
  }

  /** The guest frame of page `abs` (assembly/tlb.ts dataFrame). */
  function dataFrame(entry: number, abs: number, guestHuge: boolean): number {
    const table = entry & PMD.INDEX_MASK;
    if (guestHuge) return (table * PTES_PER_PMD + (abs & (PTES_PER_PMD - 1))) >>> 0;
    if (table === 0 || (entry & PMD.MIGRATION) !== 0) return abs;
    return u32[(((table * PTE_TABLE_BYTES) >>> 0) >>> 2) + 2 * (abs & (PTES_PER_PMD - 1)) + 1];
  }

  /** Host loads to translate guest-physical frame `frame` (assembly/tlb.ts hostRefs). */
  function hostRefs(tlb: number, frame: number): number {
    const levels = hostLevelsAt(tlb, frame >>> 9);
    const shift = (4 - levels) * 9;
    const page = nestedTag(frame, shift);
    if (touch(tlb + TLB_NTLB, page)) return 0;
    const upper = nestedTag(frame, shift + 9);
    return touch(tlb + TLB_NPWC, upper) ? 1 : levels;
  }

  /** Loads of a nested walk whose guest part made `guestRefs` loads (assembly/tlb.ts nestedRefs). */
  function nestedRefs(tlb: number, guestRefs: number, entry: number, abs: number, guestHuge: boolean): number {
    const pmd = abs >>> 9;
    const depth = guestHuge ? 3 : 4;
    let refs = guestRefs;
    for (let level = depth - guestRefs; level < depth; level++) {
      const frame = level === 0 ? NESTED_PGD_FRAME
        : level === 1 ? NESTED_PUD_FRAMES | (pmd >>> 18)
        : level === 2 ? NESTED_PMD_FRAMES | (pmd >>> 9)
        : NESTED_TABLE_FRAMES | (entry & PMD.INDEX_MASK);
      refs += hostRefs(tlb, frame >>> 0);
    }
    return refs + hostRefs(tlb, dataFrame(entry, abs, guestHuge));
  }

  function tlbRun(tlb: number, stream: number, count: number, out: number): void {
    if (u32.buffer !== memory.buffer) {
      u32 = new Uint32Array(memory.buffer);
      u16 = new Uint16Array(memory.buffer);
      u8 = new Uint8Array(memory.buffer);
      f64 = new Float64Array(memory.buffer);
    }
    const sw = stream >>> 2;
    const dir = u32[sw + STREAM_DIR / 4] >>> 2;
    const basePage = u32[sw + STREAM_BASE_PAGE / 4];
    const pages = u32[sw + STREAM_PAGES / 4];
    const kind = u32[sw + STREAM_KIND / 4];
    const storeThreshold = u32[sw + STREAM_STORE_THRESHOLD / 4];
    const p0 = u32[sw + STREAM_P0 / 4];
    const p1 = u32[sw + STREAM_P1 / 4];
    const p2 = u32[sw + STREAM_P2 / 4];
    let cursorPage = p2;
    let cursorByte = u32[sw + STREAM_P3 / 4];
    const coldPages = pages - p1;
    const hostLevels = u32[(tlb >>> 2) + TLB_HOST_LEVELS / 4];
    const splinter = splinters(hostLevels);
    const coalesceShift = u32[(tlb >>> 2) + TLB_COALESCE_SHIFT / 4];
    const mixed = u32[(tlb >>> 2) + TLB_HOST_MIX / 4] !== 0;
    const rng = sw + STREAM_RNG / 4;
    s0 = u32[rng] | 0;
    s1 = u32[rng + 1] | 0;
    s2 = u32[rng + 2] | 0;
    s3 = u32[rng + 3] | 0;

    let stores = 0;
    let l1Misses4k = 0;
    let l1Misses2m = 0;
    let l2Hits = 0;
    let walks = 0;
    let walksOnLoads = 0;
    let walkRefs = 0;

    for (let n = 0; n < count; n++) {
      let page: number;
      if (kind === KIND_UNIFORM) {
        page = below(pages);
      } else if (kind === KIND_SEQUENTIAL) {
        page = cursorPage;
        const b = cursorByte + p1;
        cursorPage += p0 + (b >>> 12);
        cursorByte = b & 4095;
        if (cursorPage >= pages) cursorPage -= pages;
      } else if (kind === KIND_HOT) {
        if (next() < p2) {
          page = p0 + below(p1);
        } else {
          const c = below(coldPages);
          page = c < p0 ? c : c + p1;
        }
      } else {
        const bucket = (p0 >>> 2) + below(pages) * (ZIPF_BUCKET_BYTES / 4);
        page = next() < u32[bucket] ? u32[bucket + 1] : u32[bucket + 2];
      }
      const isStore = storeThreshold !== 0 && next() < storeThreshold;
      if (isStore) stores++;

      const abs = basePage + page;
      const pmd = abs >>> 9;
      const entry = u32[dir + pmd];
      const guestHuge = (entry & PMD.HUGE) !== 0;
      const huge = guestHuge && !(mixed ? hostLevelsAt(tlb, entry & PMD.INDEX_MASK) === 4 : splinter);
      let tag = huge ? (HUGE_TAG | pmd) >>> 0 : abs;
      if (coalesceShift !== 0 && !guestHuge && coalesces(entry, abs, coalesceShift) &&
        (!mixed || hostLevelsAt(tlb, dataFrame(entry, abs, false) >>> 9) !== 4)) {
        tag = (COALESCED_TAG | (abs >>> coalesceShift)) >>> 0;
      }
      if (touch(tlb + (huge ? TLB_L1_2M : TLB_L1_4K), tag)) continue;
      if (huge) l1Misses2m++;
      else l1Misses4k++;
      if (touch(tlb + (huge ? TLB_L2_2M : TLB_L2_4K), tag)) {
        l2Hits++;
        continue;
      }
      walks++;
      if (!isStore) walksOnLoads++;
      const pud = pmd >>> 9;
      let refs: number;
      if (!guestHuge && touch(tlb + TLB_PWC_PMD, pmd)) refs = 1;
      else if (touch(tlb + TLB_PWC_PUD, pud)) refs = guestHuge ? 1 : 2;
      else if (touch(tlb + TLB_PWC_PGD, pud >>> 9)) refs = guestHuge ? 2 : 3;
      else refs = guestHuge ? 3 : 4;
      // Nested: each guest reference and the final guest-physical address take a host translation.
      walkRefs += hostLevels === 0 ? refs : nestedRefs(tlb, refs, entry, abs, guestHuge);
    }

    if (kind === KIND_SEQUENTIAL) {
      u32[sw + STREAM_P2 / 4] = cursorPage;
      u32[sw + STREAM_P3 / 4] = cursorByte;
    }
    u32[rng] = s0;
    u32[rng + 1] = s1;
    u32[rng + 2] = s2;
    u32[rng + 3] = s3;
    const o = out >>> 3;
    f64[o + OUT_ACCESSES / 8] = count;
    f64[o + OUT_LOADS / 8] = count - stores;
    f64[o + OUT_STORES / 8] = stores;
    f64[o + OUT_L1_MISSES_4K / 8] = l1Misses4k;
    f64[o + OUT_L1_MISSES_2M / 8] = l1Misses2m;
    f64[o + OUT_L2_HITS / 8] = l2Hits;
    f64[o + OUT_WALKS / 8] = walks;
    f64[o + OUT_WALKS_ON_LOADS / 8] = walksOnLoads;
    f64[o + OUT_WALK_REFS / 8] = walkRefs;
  }

  return { name: "ts", tlbRun };
}
