// The TLB access loop: generate a stream of accesses over one region of an mm, look
// each up in the L1 and L2 data TLBs (and, on a walk, the page-walk caches), and count.
// host/tlb/tlb_ref.ts is its TypeScript twin; both leave the same bytes in memory.
import { PMD_HUGE, PMD_INDEX_MASK, PMD_MIGRATION, PTE_PRESENT, PTE_TABLE_BYTES, PTE_WRITE, PTES_PER_PMD } from "./generated/layout";
import {
  COALESCED_TAG, DESC_INDEX, DESC_INDEX_SHIFT, DESC_LINKS, DESC_ORDER, DESC_SET_MASK, DESC_TAGS, DESC_WAYS, HUGE_TAG, INDEX_HASH,
  KIND_HOT, KIND_SEQUENTIAL, KIND_UNIFORM, KIND_ZIPF, LOOP_COVE, LOOP_GENERAL, LOOP_ZEN, NESTED_1G_TAG,
  NESTED_2M_TAG, NESTED_512G_TAG, NESTED_PGD_FRAME, NESTED_PMD_FRAMES, NESTED_PUD_FRAMES, NESTED_TABLE_FRAMES, OUT_ACCESSES,
  OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_L2_HITS, OUT_LOADS, OUT_STORES,
  OUT_WALK_REFS, OUT_WALKS,
  OUT_WALKS_ON_LOADS, STREAM_BASE_PAGE, STREAM_DIR, STREAM_KIND, STREAM_P0, STREAM_P1, STREAM_P2, STREAM_P3,
  STREAM_PAGES, STREAM_RNG, STREAM_STORE_THRESHOLD, TAG_INVALID, TLB_L1_2M, TLB_L1_4K, TLB_L2_2M, TLB_L2_4K,
  TLB_COALESCE_SHIFT, TLB_HOST_LEVELS, TLB_HOST_MIX, TLB_HOST_MIX_1G, TLB_HOST_MIX_4K, TLB_HOST_MIX_SEED, TLB_NPWC, TLB_NTLB, TLB_PWC_PGD, TLB_PWC_PMD, TLB_PWC_PUD, ZIPF_BUCKET_BYTES,
} from "./generated/tlb_layout";

/** The high word of `r * n`: a draw `r` scaled to [0, n) (Lemire's multiply-shift, no division). */
@inline function scale(r: u32, n: u32): u32 {
  return <u32>((<u64>r * <u64>n) >> 32);
}

/** The home slot of `tag` in a hash index of `32 - shift` bits. */
@inline function home(tag: u32, shift: u32): u32 {
  return (tag * INDEX_HASH) >>> shift;
}

/**
 * A set of up to 16 ways: compare the tag against all 16 slots at once. A hit makes its
 * way age 0 and ages every younger way by one. A miss gives the tag to the LRU way (age
 * ways - 1), which makes it age 0 and every other used way one older: no way's age
 * needs looking up, so the miss path is two vector operations shorter.
 */
@inline function touchNarrow(tags: u32, order: u32, setMask: u32, ways: u32, tag: u32): bool {
  const set = tag & setMask;
  const base = tags + (set << 6);
  const agesAt = order + (set << 4);
  const want = i32x4.splat(tag);
  // Saturating narrows pack the four 4-lane compares into one 16-lane byte mask.
  const hits = i8x16.narrow_i16x8_s(
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(base), want), i32x4.eq(v128.load(base, 16), want)),
    i16x8.narrow_i32x4_s(i32x4.eq(v128.load(base, 32), want), i32x4.eq(v128.load(base, 48), want)),
  );
  const ages = v128.load(agesAt);
  const match = i8x16.bitmask(hits);
  if (match != 0) {
    const younger = i8x16.lt_u(ages, i8x16.swizzle(ages, i8x16.splat(<i8>ctz<u32>(match))));
    v128.store(agesAt, v128.andnot(i8x16.sub(ages, younger), hits));
    return true;
  }
  const lrus = i8x16.eq(ages, i8x16.splat(<i8>(ways - 1)));
  store<u32>(base + (ctz<u32>(i8x16.bitmask(lrus)) << 2), tag);
  // Unused ways stay at 255: the add saturates.
  v128.store(agesAt, v128.andnot(i8x16.add_sat_u(ages, i8x16.splat(1)), lrus));
  return false;
}

/**
 * The rest of a probe for `tag` from slot `s`, which holds another tag: the slot holding
 * `tag`, or the empty slot where the probe ends.
 */
@inline function probeFrom(index: u32, tags: u32, tag: u32, s: u32, mask: u32): u32 {
  let e: u32;
  do {
    s = (s + 1) & mask;
    e = <u32>load<u16>(index + (s << 1));
  } while (e != 0 && load<u32>(tags + ((e - 1) << 2)) != tag);
  return s;
}

/**
 * Empty slot `i` of the index, whose next slot is taken: later entries of the probe run
 * move back into the hole (backward-shift deletion), so probes never cross a hole, and
 * each moved way's recorded slot follows it (host/tlb/wide_index.ts deleteSlot).
 */
@inline function deleteFrom(index: u32, tags: u32, slotOf: u32, i: u32, shift: u32): void {
  const mask: u32 = (<u32>-1) >>> shift;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = <u32>load<u16>(index + (j << 1));
    if (e == 0) break;
    const k = home(load<u32>(tags + ((e - 1) << 2)), shift);
    // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
    if (((j - k) & mask) >= ((j - i) & mask)) {
      store<u16>(index + (i << 1), <u16>e);
      store<u32>(slotOf + ((e - 1) << 2), i);
      i = j;
    }
  }
  store<u16>(index + (i << 1), 0);
}

/**
 * A wide fully associative array: the hash index finds the way in O(1), the linked
 * list keeps LRU order, and a miss reuses the LRU way (its old tag leaves the index by
 * backward-shift deletion from the slot the way records, so probes never cross a hole).
 * At most 1/64 of the index is taken, so a probe mostly ends at its home slot and a
 * deletion at the next one: those steps are written out before the loops past them.
 */
@inline function touchWide(
  tags: u32, ends: u32, index: u32, shift: u32, mask: u32, prevs: u32, nexts: u32, slotOf: u32, tag: u32,
): bool {
  const h = home(tag, shift);
  let s = h;
  let e = <u32>load<u16>(index + (s << 1));
  if (e != 0 && load<u32>(tags + ((e - 1) << 2)) != tag) {
    s = probeFrom(index, tags, tag, s, mask);
    e = <u32>load<u16>(index + (s << 1));
  }
  const hit = e != 0;
  let way = e - 1;
  if (!hit) {
    way = load<u32>(ends, 4);
    if (load<u32>(tags + (way << 2)) != TAG_INVALID) {
      const i = load<u32>(slotOf + (way << 2));
      if (load<u16>(index + (((i + 1) & mask) << 1)) != 0) deleteFrom(index, tags, slotOf, i, shift);
      else store<u16>(index + (i << 1), 0);
    }
    store<u32>(tags + (way << 2), tag);
    // The deletion may have emptied a slot the probe passed, never the one it ended at.
    if (s != h) {
      s = h;
      if (load<u16>(index + (s << 1)) != 0) s = probeFrom(index, tags, tag, s, mask);
    }
    store<u16>(index + (s << 1), <u16>(way + 1));
    store<u32>(slotOf + (way << 2), s);
    // The list is circular (the LRU way's next is the MRU way), so making the LRU way
    // the MRU is one step of the ends.
    store<u32>(ends, way);
    store<u32>(ends, <u32>load<u16>(prevs + (way << 1)), 4);
    return false;
  }
  // A hit on the LRU way is the same step; any other way but the MRU one is unlinked and
  // put between them.
  const head = load<u32>(ends);
  const tail = load<u32>(ends, 4);
  if (way == tail) {
    store<u32>(ends, way);
    store<u32>(ends, <u32>load<u16>(prevs + (way << 1)), 4);
  } else if (way != head) {
    const p = <u32>load<u16>(prevs + (way << 1));
    const n = <u32>load<u16>(nexts + (way << 1));
    store<u16>(nexts + (p << 1), <u16>n);
    store<u16>(prevs + (n << 1), <u16>p);
    store<u16>(prevs + (way << 1), <u16>tail);
    store<u16>(nexts + (way << 1), <u16>head);
    store<u16>(nexts + (tail << 1), <u16>way);
    store<u16>(prevs + (head << 1), <u16>way);
    store<u32>(ends, way);
  }
  return true;
}

/**
 * Whether the naturally aligned group of 2^`shift` PTEs at `ptes` is held in one
 * coalesced entry: every PTE present, mapping as many contiguous frames from a frame
 * aligned as the group, with one set of permissions. No branch depends on the PTEs.
 */
@inline function coalesces(ptes: u32, shift: u32): bool {
  const n: u32 = 1 << shift;
  const same: u64 = 0xffffffff00000000 | <u64>(PTE_PRESENT | PTE_WRITE);
  // The first PTE as the group's would be: present, its frame rounded down to the group.
  const first = (load<u64>(ptes) & same & ~(<u64>(n - 1) << 32)) | <u64>PTE_PRESENT;
  let want = i64x2.add(i64x2.splat(first), i64x2(0, <i64>1 << 32));
  let all = i64x2.splat(-1);
  for (let i: u32 = 0; i < n; i += 2) {
    all = v128.and(all, i64x2.eq(v128.and(v128.load(ptes + (i << 3)), i64x2.splat(same)), want));
    want = i64x2.add(want, i64x2.splat(<i64>2 << 32));
  }
  return i64x2.all_true(all);
}

/**
 * The tag of 4 KiB page `abs`, whose PTE at `pte` maps a frame placed in its group as the
 * page is: its group's when the group coalesces and, under a mix of host page sizes, the
 * host maps the frame with more than 4 KiB; else the page's own.
 */
@inline function groupTag(tlb: u32, pte: u32, abs: u32, shift: u32, mixed: bool): u32 {
  const ptes = pte - ((abs & ((1 << shift) - 1)) << 3);
  if (!coalesces(ptes, shift)) return abs;
  if (mixed && hostLevelsAt(tlb, load<u32>(pte, 4) >>> 9) == 4) return abs;
  return COALESCED_TAG | (abs >>> shift);
}

/** How a loop reaches an array: known wide, known narrow, or read from its descriptor. */
const ARRAY_WIDE: u32 = 0;
const ARRAY_NARROW: u32 = 1;
const ARRAY_ANY: u32 = 2;

/** touch() for the array at descriptor `d`, whatever its kind, its words read at the call. */
@inline function touchAny(d: u32, tag: u32): bool {
  const ways = load<u32>(d, DESC_WAYS);
  if (ways == 0) return false;
  const tags = load<u32>(d, DESC_TAGS);
  const order = load<u32>(d, DESC_ORDER);
  const index = load<u32>(d, DESC_INDEX);
  if (index == 0) return touchNarrow(tags, order, load<u32>(d, DESC_SET_MASK), ways, tag);
  const shift = load<u32>(d, DESC_INDEX_SHIFT);
  const links = load<u32>(d, DESC_LINKS);
  return touchWide(tags, order, index, shift, (<u32>-1) >>> shift, links, links + (ways << 1), links + (ways << 2), tag);
}

/**
 * Look `tag` up in the array at descriptor `d` and make it the MRU of its set, filling
 * on a miss (the LRU tag of the set is replaced). Returns whether it hit. `kind` is a
 * compile-time constant at every call: a loop built for a known shape of TLB passes the
 * array's descriptor words (and what follows from them), read before its loop, and
 * skips the dispatch; ARRAY_ANY reads the descriptor at every call. V8 does not hoist a
 * load out of a loop that stores to memory: read per access, each word was loaded and
 * mostly spilled to the stack every time (Zen 5, uniform loads: 84.5 M accesses/s so,
 * 89.8 read once).
 */
@inline function touch(
  kind: u32, d: u32, tags: u32, order: u32, setMask: u32, ways: u32, index: u32, shift: u32, mask: u32,
  links: u32, nexts: u32, slotOf: u32, tag: u32,
): bool {
  if (kind == ARRAY_WIDE) return touchWide(tags, order, index, shift, mask, links, nexts, slotOf, tag);
  if (kind == ARRAY_NARROW) return touchNarrow(tags, order, setMask, ways, tag);
  return touchAny(d, tag);
}

/** The kind of the array at descriptor `d`: ARRAY_ANY when absent. */
function kindOf(d: u32): u32 {
  if (load<u32>(d, DESC_WAYS) == 0) return ARRAY_ANY;
  return load<u32>(d, DESC_INDEX) != 0 ? ARRAY_WIDE : ARRAY_NARROW;
}

/** The common kind of the arrays at offsets `a` and `b` of the TLB block, else ARRAY_ANY. */
function kindOfPair(tlb: u32, a: u32, b: u32): u32 {
  const k = kindOf(tlb + a);
  return k == kindOf(tlb + b) ? k : ARRAY_ANY;
}

/** Whether the descriptors at offsets `a` and `b` of the TLB block describe one array. */
function oneArray(tlb: u32, a: u32, b: u32): bool {
  return load<u32>(tlb + a, DESC_TAGS) == load<u32>(tlb + b, DESC_TAGS) && load<u32>(tlb + a, DESC_WAYS) != 0;
}

/** murmur3's finaliser: a u32 hash of a u32. */
@inline function fmix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x85ebca6b;
  x ^= x >>> 13;
  x *= 0xc2b2ae35;
  return x ^ (x >>> 16);
}

/** Host walk loads for guest-physical 2 MiB region `region` (host/tlb/virtualization.ts mixedHostLevels). */
function hostLevelsAt(tlb: u32, region: u32): u32 {
  if (load<u32>(tlb, TLB_HOST_MIX) == 0) return load<u32>(tlb, TLB_HOST_LEVELS);
  const seed = load<u32>(tlb, TLB_HOST_MIX_SEED);
  if (fmix32(((region >>> 9) | 0x80000000) ^ seed) < load<u32>(tlb, TLB_HOST_MIX_1G)) return 2;
  return fmix32(region ^ seed) < load<u32>(tlb, TLB_HOST_MIX_4K) ? 4 : 3;
}

/** The nested caches' tag of frame `frame` in pages of 2^`shift` frames (0, 9, 18 or 27). */
@inline function nestedTag(frame: u32, shift: u32): u32 {
  if (shift == 0) return frame;
  const prefix = shift == 9 ? NESTED_2M_TAG : shift == 18 ? NESTED_1G_TAG : NESTED_512G_TAG;
  return prefix | (frame >>> shift);
}

/**
 * The guest frame of page `abs`: a 2 MiB entry's head frame plus the page's offset, or
 * its PTE's frame; the page number stands in where the PMD has no PTE table.
 */
@inline function dataFrame(entry: u32, abs: u32, guestHuge: bool): u32 {
  const table = entry & PMD_INDEX_MASK;
  if (guestHuge) return (table << 9) + (abs & (PTES_PER_PMD - 1));
  if (table == 0 || (entry & PMD_MIGRATION) != 0) return abs;
  return load<u32>(table * PTE_TABLE_BYTES + ((abs & (PTES_PER_PMD - 1)) << 3), 4);
}

/**
 * Host loads to translate guest-physical frame `frame`: none when the nested TLB holds
 * its host page, one (the leaf) when the nested walk cache holds the host entry above
 * it, else the host's whole walk for the page size backing the frame.
 */
function hostRefs(tlb: u32, frame: u32): u32 {
  const levels = hostLevelsAt(tlb, frame >>> 9);
  const shift = (4 - levels) * 9;
  const page = nestedTag(frame, shift);
  if (touchAny(tlb + TLB_NTLB, page)) return 0;
  const upper = nestedTag(frame, shift + 9);
  if (touchAny(tlb + TLB_NPWC, upper)) return 1;
  return levels;
}

/**
 * Loads of a nested walk whose guest part made `guestRefs` loads: each guest
 * paging-structure page the guest part read (the last `guestRefs` of PGD, PUD table, PMD
 * table and, for a 4 KiB page, PTE table, in that order) and then the data page take a
 * host translation (Bhargava et al., ASPLOS 2008). Without nested caches and with one
 * host page size that is (guestRefs + 1) × (levels + 1) − 1.
 */
function nestedRefs(tlb: u32, guestRefs: u32, entry: u32, abs: u32, guestHuge: bool): u32 {
  const pmd = abs >>> 9;
  let refs = guestRefs;
  const depth: u32 = guestHuge ? 3 : 4;
  for (let level = depth - guestRefs; level < depth; level++) {
    const frame = level == 0 ? NESTED_PGD_FRAME
      : level == 1 ? NESTED_PUD_FRAMES | (pmd >>> 18)
      : level == 2 ? NESTED_PMD_FRAMES | (pmd >>> 9)
      : NESTED_TABLE_FRAMES | (entry & PMD_INDEX_MASK);
    refs += hostRefs(tlb, frame);
  }
  return refs + hostRefs(tlb, dataFrame(entry, abs, guestHuge));
}

/** Which of tlbRun's loops the TLB block at `tlb` takes: LOOP_ZEN, LOOP_COVE or LOOP_GENERAL. */
export function tlbLoopShape(tlb: u32): u32 {
  const l2 = kindOfPair(tlb, TLB_L2_4K, TLB_L2_2M);
  if (l2 != ARRAY_NARROW || !oneArray(tlb, TLB_L2_4K, TLB_L2_2M)) return LOOP_GENERAL;
  if (kindOfPair(tlb, TLB_PWC_PUD, TLB_PWC_PGD) != ARRAY_NARROW) return LOOP_GENERAL;
  const l1 = kindOfPair(tlb, TLB_L1_4K, TLB_L1_2M);
  const l1Shared = oneArray(tlb, TLB_L1_4K, TLB_L1_2M);
  const pmd = kindOf(tlb + TLB_PWC_PMD);
  if (l1 == ARRAY_WIDE && l1Shared && pmd == ARRAY_WIDE) return LOOP_ZEN;
  if (l1 == ARRAY_NARROW && !l1Shared && pmd == ARRAY_NARROW) return LOOP_COVE;
  return LOOP_GENERAL;
}

/**
 * Simulate `count` accesses of the stream at `stream` through the TLB at `tlb`, writing
 * the counts to `out` (f64s, overwritten) and the advanced cursor and PRNG to `stream`.
 * The shapes of the presets (Zen's wide L1 and PMD cache over narrow sets; Intel's
 * narrow sets everywhere) get a loop of their own per access pattern, with and without
 * stores; any other shape takes the general loop.
 */
export function tlbRun(tlb: u32, stream: u32, count: u32, out: u32): void {
  const shape = tlbLoopShape(tlb);
  const kind = load<u32>(stream, STREAM_KIND);
  const stores = load<u32>(stream, STREAM_STORE_THRESHOLD) != 0;
  if (shape == LOOP_GENERAL) {
    runLoop(tlb, stream, count, out, ARRAY_ANY, false, ARRAY_ANY, false, ARRAY_ANY, ARRAY_ANY, kind, stores);
    return;
  }
  if (shape == LOOP_ZEN) {
    if (kind == KIND_SEQUENTIAL) {
      if (stores) zenSequentialStores(tlb, stream, count, out);
      else zenSequentialLoads(tlb, stream, count, out);
    } else if (kind == KIND_UNIFORM) {
      if (stores) zenUniformStores(tlb, stream, count, out);
      else zenUniformLoads(tlb, stream, count, out);
    } else if (kind == KIND_HOT) {
      if (stores) zenHotStores(tlb, stream, count, out);
      else zenHotLoads(tlb, stream, count, out);
    } else if (stores) zenZipfStores(tlb, stream, count, out);
    else zenZipfLoads(tlb, stream, count, out);
  } else if (kind == KIND_SEQUENTIAL) {
    if (stores) coveSequentialStores(tlb, stream, count, out);
    else coveSequentialLoads(tlb, stream, count, out);
  } else if (kind == KIND_UNIFORM) {
    if (stores) coveUniformStores(tlb, stream, count, out);
    else coveUniformLoads(tlb, stream, count, out);
  } else if (kind == KIND_HOT) {
    if (stores) coveHotStores(tlb, stream, count, out);
    else coveHotLoads(tlb, stream, count, out);
  } else if (stores) coveZipfStores(tlb, stream, count, out);
  else coveZipfLoads(tlb, stream, count, out);
}

// One function per loop: V8 compiles a function holding one loop better than one
// holding several. Zen 5, uniform loads (bench/tlb.ts): 51 M accesses/s with the
// pattern read per access, 56 with the shapes' loops three to a function, 60 alone.
function zenUniformLoads(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_UNIFORM, false); }
function zenUniformStores(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_UNIFORM, true); }
function zenSequentialLoads(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_SEQUENTIAL, false); }
function zenSequentialStores(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_SEQUENTIAL, true); }
function zenHotLoads(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_HOT, false); }
function zenHotStores(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_HOT, true); }
function zenZipfLoads(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_ZIPF, false); }
function zenZipfStores(t: u32, s: u32, c: u32, o: u32): void { zenLoop(t, s, c, o, KIND_ZIPF, true); }
function coveUniformLoads(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_UNIFORM, false); }
function coveUniformStores(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_UNIFORM, true); }
function coveSequentialLoads(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_SEQUENTIAL, false); }
function coveSequentialStores(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_SEQUENTIAL, true); }
function coveHotLoads(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_HOT, false); }
function coveHotStores(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_HOT, true); }
function coveZipfLoads(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_ZIPF, false); }
function coveZipfStores(t: u32, s: u32, c: u32, o: u32): void { coveLoop(t, s, c, o, KIND_ZIPF, true); }

/** Zen's shape: a wide L1 holding both page sizes and a wide PMD cache, over narrow sets. */
@inline function zenLoop(tlb: u32, stream: u32, count: u32, out: u32, kind: u32, withStores: bool): void {
  runLoop(tlb, stream, count, out, ARRAY_WIDE, true, ARRAY_NARROW, true, ARRAY_WIDE, ARRAY_NARROW, kind, withStores);
}

/** Intel's shape: narrow sets everywhere, a separate L1 per page size. */
@inline function coveLoop(tlb: u32, stream: u32, count: u32, out: u32, kind: u32, withStores: bool): void {
  runLoop(tlb, stream, count, out, ARRAY_NARROW, false, ARRAY_NARROW, true, ARRAY_NARROW, ARRAY_NARROW, kind, withStores);
}

/**
 * The loop of tlbRun for arrays of the given kinds; `l1Shared` and `l2Shared` say that
 * one array holds both page sizes at that level. Every argument after `out` is a
 * compile-time constant in the specialised loops, which Binaryen folds away; the
 * general loop passes the stream's own pattern `kind` and `withStores`.
 */
@inline function runLoop(
  tlb: u32, stream: u32, count: u32, out: u32,
  l1: u32, l1Shared: bool, l2: u32, l2Shared: bool, pmdCache: u32, upper: u32, kind: u32, withStores: bool,
): void {
  const dir = load<u32>(stream, STREAM_DIR);
  const basePage = load<u32>(stream, STREAM_BASE_PAGE);
  const pages = load<u32>(stream, STREAM_PAGES);
  const storeThreshold = load<u32>(stream, STREAM_STORE_THRESHOLD);
  const p0 = load<u32>(stream, STREAM_P0);
  const p1 = load<u32>(stream, STREAM_P1);
  const p2 = load<u32>(stream, STREAM_P2);
  let cursorPage = p2;
  let cursorByte = load<u32>(stream, STREAM_P3);
  const coldPages = pages - p1;
  const hostLevels = load<u32>(tlb, TLB_HOST_LEVELS);
  const coalesceShift = load<u32>(tlb, TLB_COALESCE_SHIFT);
  const groupMask: u32 = (1 << coalesceShift) - 1;
  // A mix of host page sizes decides splintering and coalescing per guest-physical region.
  const mixed = load<u32>(tlb, TLB_HOST_MIX) != 0;
  // A host that maps guest memory with 4 KiB pages splinters the guest's 2 MiB pages.
  const splinter = hostLevels == 4;
  // The arrays' descriptor words (see touch). A loop's L1 for 2 MiB pages is its own
  // array only when the L1 is not shared; the L2 is shared in every specialised loop.
  const l1d = tlb + TLB_L1_4K;
  const l1Tags = load<u32>(l1d, DESC_TAGS);
  const l1Order = load<u32>(l1d, DESC_ORDER);
  const l1Mask = load<u32>(l1d, DESC_SET_MASK);
  const l1Ways = load<u32>(l1d, DESC_WAYS);
  const l1Index = load<u32>(l1d, DESC_INDEX);
  const l1Shift = load<u32>(l1d, DESC_INDEX_SHIFT);
  const l1Links = load<u32>(l1d, DESC_LINKS);
  const l1IndexMask: u32 = (<u32>-1) >>> l1Shift;
  const l1Nexts = l1Links + (l1Ways << 1);
  const l1Slots = l1Links + (l1Ways << 2);
  const l1hd = tlb + TLB_L1_2M;
  const l1hTags = load<u32>(l1hd, DESC_TAGS);
  const l1hOrder = load<u32>(l1hd, DESC_ORDER);
  const l1hMask = load<u32>(l1hd, DESC_SET_MASK);
  const l1hWays = load<u32>(l1hd, DESC_WAYS);
  const l2d = tlb + TLB_L2_4K;
  const l2Tags = load<u32>(l2d, DESC_TAGS);
  const l2Order = load<u32>(l2d, DESC_ORDER);
  const l2Mask = load<u32>(l2d, DESC_SET_MASK);
  const l2Ways = load<u32>(l2d, DESC_WAYS);
  const pmdd = tlb + TLB_PWC_PMD;
  const pmdTags = load<u32>(pmdd, DESC_TAGS);
  const pmdOrder = load<u32>(pmdd, DESC_ORDER);
  const pmdMask = load<u32>(pmdd, DESC_SET_MASK);
  const pmdWays = load<u32>(pmdd, DESC_WAYS);
  const pmdIndex = load<u32>(pmdd, DESC_INDEX);
  const pmdShift = load<u32>(pmdd, DESC_INDEX_SHIFT);
  const pmdLinks = load<u32>(pmdd, DESC_LINKS);
  const pmdIndexMask: u32 = (<u32>-1) >>> pmdShift;
  const pmdNexts = pmdLinks + (pmdWays << 1);
  const pmdSlots = pmdLinks + (pmdWays << 2);
  const pudd = tlb + TLB_PWC_PUD;
  const pudTags = load<u32>(pudd, DESC_TAGS);
  const pudOrder = load<u32>(pudd, DESC_ORDER);
  const pudMask = load<u32>(pudd, DESC_SET_MASK);
  const pudWays = load<u32>(pudd, DESC_WAYS);
  const pgdd = tlb + TLB_PWC_PGD;
  const pgdTags = load<u32>(pgdd, DESC_TAGS);
  const pgdOrder = load<u32>(pgdd, DESC_ORDER);
  const pgdMask = load<u32>(pgdd, DESC_SET_MASK);
  const pgdWays = load<u32>(pgdd, DESC_WAYS);
  // xoshiro128** state, in locals: the loop below is its only user.
  let s0 = load<u32>(stream, STREAM_RNG);
  let s1 = load<u32>(stream, STREAM_RNG + 4);
  let s2 = load<u32>(stream, STREAM_RNG + 8);
  let s3 = load<u32>(stream, STREAM_RNG + 12);
  // Every access of a stream takes the same number of draws: its pattern's, then one
  // for load-or-store when stores are asked for.
  const patternDraws: u32 = kind == KIND_SEQUENTIAL ? 0 : kind == KIND_UNIFORM ? 1 : 2;
  const draws = patternDraws + (withStores ? 1 : 0);

  let stores: u32 = 0;
  let l1Misses4k: u32 = 0;
  let l1Misses2m: u32 = 0;
  let l2Hits: u32 = 0;
  let walksOnStores: u32 = 0;
  let walkRefs: u64 = 0;

  for (let n: u32 = 0; n < count; n++) {
    // The access's draws in order: a, b, c, each one xoshiro128** step written out:
    // a loop over `draws` with a select per draw costs more than the steps themselves.
    let a: u32 = 0;
    let b: u32 = 0;
    let c: u32 = 0;
    if (draws != 0) {
      a = rotl<u32>(s1 * 5, 7) * 9;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
      if (draws > 1) {
        b = rotl<u32>(s1 * 5, 7) * 9;
        const t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
        if (draws > 2) {
          c = rotl<u32>(s1 * 5, 7) * 9;
          const t = s1 << 9;
          s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
        }
      }
    }
    let page: u32;
    if (kind == KIND_UNIFORM) {
      page = scale(a, pages);
    } else if (kind == KIND_SEQUENTIAL) {
      page = cursorPage;
      const sum = cursorByte + p1;
      cursorPage += p0 + (sum >> 12);
      cursorByte = sum & 4095;
      if (cursorPage >= pages) cursorPage -= pages;
    } else if (kind == KIND_HOT) {
      if (a < p2) {
        page = p0 + scale(b, p1);
      } else {
        const cold = scale(b, coldPages);
        page = cold < p0 ? cold : cold + p1;
      }
    } else {
      const bucket = p0 + scale(a, pages) * ZIPF_BUCKET_BYTES;
      page = b < load<u32>(bucket) ? load<u32>(bucket, 4) : load<u32>(bucket, 8);
    }
    const storeDraw = patternDraws == 0 ? a : patternDraws == 1 ? b : c;
    const isStore = withStores && storeDraw < storeThreshold;
    if (isStore) stores++;

    const abs = basePage + page;
    const pmd = abs >>> 9;
    const entry = load<u32>(dir + (pmd << 2));
    const guestHuge = (entry & PMD_HUGE) != 0;
    // The TLB tag: a narrow array's key too, as a tag's flag bits lie above every set mask.
    let tag = abs;
    if (guestHuge) {
      if (!(mixed ? hostLevelsAt(tlb, entry & PMD_INDEX_MASK) == 4 : splinter)) tag = HUGE_TAG | pmd;
    } else if (groupMask != 0 && entry - 1 < PMD_INDEX_MASK) {
      // A PTE table (index not 0), not under migration: the page's own frame must sit in
      // its group as the page does, which most layouts fail. One test per condition with
      // the group's mask at hand: V8 made 78 M accesses/s (Zen 5, uniform loads) of the
      // same conditions as early returns of one predicate, 85 of this. bench/native/tlb.c
      // keeps the predicate, which gcc compiles 5 % faster than this shape.
      const pte = (entry & PMD_INDEX_MASK) * PTE_TABLE_BYTES + ((abs & (PTES_PER_PMD - 1)) << 3);
      if (((load<u32>(pte, 4) ^ abs) & groupMask) == 0) tag = groupTag(tlb, pte, abs, coalesceShift, mixed);
    }
    const huge = (tag >>> 30) == (HUGE_TAG >>> 30);
    // An array chosen by `huge` waits for the directory load; a shared one does not.
    const l1Own = l1Shared || !huge;
    if (touch(
      l1, l1Own ? l1d : l1hd, l1Own ? l1Tags : l1hTags, l1Own ? l1Order : l1hOrder, l1Own ? l1Mask : l1hMask,
      l1Own ? l1Ways : l1hWays, l1Index, l1Shift, l1IndexMask, l1Links, l1Nexts, l1Slots, tag,
    )) continue;
    if (huge) l1Misses2m++;
    else l1Misses4k++;
    if (touch(l2, tlb + (l2Shared || !huge ? TLB_L2_4K : TLB_L2_2M), l2Tags, l2Order, l2Mask, l2Ways, 0, 0, 0, 0, 0, 0, tag)) {
      l2Hits++;
      continue;
    }
    if (isStore) walksOnStores++;
    // The walk starts below the deepest cached level; a guest's 2 MiB walk ends at the PMD.
    const pud = pmd >>> 9;
    let refs: u32;
    if (!guestHuge && touch(
      pmdCache, pmdd, pmdTags, pmdOrder, pmdMask, pmdWays, pmdIndex, pmdShift, pmdIndexMask, pmdLinks, pmdNexts,
      pmdSlots, pmd,
    )) refs = 1;
    else if (touch(upper, pudd, pudTags, pudOrder, pudMask, pudWays, 0, 0, 0, 0, 0, 0, pud)) refs = guestHuge ? 1 : 2;
    else if (touch(upper, pgdd, pgdTags, pgdOrder, pgdMask, pgdWays, 0, 0, 0, 0, 0, 0, pud >>> 9)) refs = guestHuge ? 2 : 3;
    else refs = guestHuge ? 3 : 4;
    // Nested: each guest reference and the final guest-physical address take a host translation.
    if (hostLevels != 0) refs = nestedRefs(tlb, refs, entry, abs, guestHuge);
    walkRefs += refs;
  }

  if (kind == KIND_SEQUENTIAL) {
    store<u32>(stream, cursorPage, STREAM_P2);
    store<u32>(stream, cursorByte, STREAM_P3);
  }
  store<u32>(stream, s0, STREAM_RNG);
  store<u32>(stream, s1, STREAM_RNG + 4);
  store<u32>(stream, s2, STREAM_RNG + 8);
  store<u32>(stream, s3, STREAM_RNG + 12);
  store<f64>(out, <f64>count, OUT_ACCESSES);
  store<f64>(out, <f64>(count - stores), OUT_LOADS);
  store<f64>(out, <f64>stores, OUT_STORES);
  store<f64>(out, <f64>l1Misses4k, OUT_L1_MISSES_4K);
  store<f64>(out, <f64>l1Misses2m, OUT_L1_MISSES_2M);
  store<f64>(out, <f64>l2Hits, OUT_L2_HITS);
  // Every L1 miss hits the L2 or walks.
  const walks = l1Misses4k + l1Misses2m - l2Hits;
  store<f64>(out, <f64>walks, OUT_WALKS);
  store<f64>(out, <f64>(walks - walksOnStores), OUT_WALKS_ON_LOADS);
  store<f64>(out, <f64>walkRefs, OUT_WALK_REFS);
}
