// The TLB access loop: generate a stream of accesses over one region of an mm, look
// each up in the L1 and L2 data TLBs (and, on a walk, the page-walk caches), and count.
// host/tlb/tlb_ref.ts is its TypeScript twin; both leave the same bytes in memory.
import { PMD_HUGE } from "./generated/layout";
import {
  DESC_FILTER, DESC_FILTER_SHIFT, DESC_HEADS, DESC_SET_MASK, DESC_TAGS, DESC_WAYS, FILTER_HASH, HUGE_TAG,
  KIND_HOT, KIND_SEQUENTIAL, KIND_UNIFORM, OUT_ACCESSES, OUT_L1_MISSES_2M, OUT_L1_MISSES_4K, OUT_L2_HITS,
  OUT_LOADS, OUT_STORES, OUT_WALK_REFS, OUT_WALKS, OUT_WALKS_ON_LOADS, STREAM_BASE_PAGE, STREAM_DIR,
  STREAM_KIND, STREAM_P0, STREAM_P1, STREAM_P2, STREAM_P3, STREAM_PAGES, STREAM_RNG, STREAM_STORE_THRESHOLD,
  TAG_INVALID, TLB_L1_2M, TLB_L1_4K, TLB_L2_2M, TLB_L2_4K, TLB_PWC_PGD, TLB_PWC_PMD, TLB_PWC_PUD,
} from "../host/tlb/tlb_layout";

// xoshiro128** state. Globals so that an inlined draw can advance it from any branch.
let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

/** The next xoshiro128** output. */
@inline function next(): u32 {
  const r = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return r;
}

/** A draw in [0, n): the high word of draw * n (Lemire's multiply-shift, no division). */
@inline function below(n: u32): u32 {
  return <u32>((<u64>next() * <u64>n) >> 32);
}

/** The counting-filter slot of `tag`. */
@inline function filterSlot(filter: u32, shift: u32, tag: u32): u32 {
  return filter + (((tag * FILTER_HASH) >>> shift) << 1);
}

/**
 * Look `tag` up in the array described at `d` and make it the MRU of its set, filling on
 * a miss (the LRU tag of the set is replaced). Returns whether it hit.
 */
@inline function touch(d: u32, tag: u32, key: u32): bool {
  const ways = load<u32>(d, DESC_WAYS);
  if (ways == 0) return false;
  const set = key & load<u32>(d, DESC_SET_MASK);
  const base = load<u32>(d, DESC_TAGS) + ((set * ways) << 2);
  const headAt = load<u32>(d, DESC_HEADS) + (set << 2);
  let head = load<u32>(headAt);
  const filter = load<u32>(d, DESC_FILTER);
  const shift = load<u32>(d, DESC_FILTER_SHIFT);
  // A zero filter count proves the miss; a wide set is then not scanned at all.
  if (filter == 0 || load<u16>(filterSlot(filter, shift, tag)) != 0) {
    for (let i: u32 = 0; i < ways; i++) {
      if (load<u32>(base + (i << 2)) == tag) {
        // Hit: the tags more recent than it move one step towards LRU, it becomes MRU.
        let j = i;
        while (j != head) {
          const prev = (j == 0 ? ways : j) - 1;
          store<u32>(base + (j << 2), load<u32>(base + (prev << 2)));
          j = prev;
        }
        store<u32>(base + (head << 2), tag);
        return true;
      }
    }
  }
  // Miss: the slot before the head holds the LRU tag; it becomes the new MRU.
  head = (head == 0 ? ways : head) - 1;
  const victim = load<u32>(base + (head << 2));
  store<u32>(base + (head << 2), tag);
  store<u32>(headAt, head);
  if (filter != 0) {
    if (victim != TAG_INVALID) {
      const v = filterSlot(filter, shift, victim);
      store<u16>(v, load<u16>(v) - 1);
    }
    const t = filterSlot(filter, shift, tag);
    store<u16>(t, load<u16>(t) + 1);
  }
  return false;
}

/**
 * Simulate `count` accesses of the stream at `stream` through the TLB at `tlb`, writing
 * the counts to `out` (f64s, overwritten) and the advanced cursor and PRNG to `stream`.
 */
export function tlbRun(tlb: u32, stream: u32, count: u32, out: u32): void {
  const dir = load<u32>(stream, STREAM_DIR);
  const basePage = load<u32>(stream, STREAM_BASE_PAGE);
  const pages = load<u32>(stream, STREAM_PAGES);
  const kind = load<u32>(stream, STREAM_KIND);
  const storeThreshold = load<u32>(stream, STREAM_STORE_THRESHOLD);
  const p0 = load<u32>(stream, STREAM_P0);
  const p1 = load<u32>(stream, STREAM_P1);
  const p2 = load<u32>(stream, STREAM_P2);
  let cursorPage = p2;
  let cursorByte = load<u32>(stream, STREAM_P3);
  const coldPages = pages - p1;
  s0 = load<u32>(stream, STREAM_RNG);
  s1 = load<u32>(stream, STREAM_RNG + 4);
  s2 = load<u32>(stream, STREAM_RNG + 8);
  s3 = load<u32>(stream, STREAM_RNG + 12);

  let stores: u32 = 0;
  let l1Misses4k: u32 = 0;
  let l1Misses2m: u32 = 0;
  let l2Hits: u32 = 0;
  let walks: u32 = 0;
  let walksOnLoads: u32 = 0;
  let walkRefs: u64 = 0;

  for (let n: u32 = 0; n < count; n++) {
    let page: u32;
    if (kind == KIND_UNIFORM) {
      page = below(pages);
    } else if (kind == KIND_SEQUENTIAL) {
      page = cursorPage;
      const b = cursorByte + p1;
      cursorPage += p0 + (b >> 12);
      cursorByte = b & 4095;
      if (cursorPage >= pages) cursorPage -= pages;
    } else if (kind == KIND_HOT) {
      if (next() < p2) {
        page = p0 + below(p1);
      } else {
        const c = below(coldPages);
        page = c < p0 ? c : c + p1;
      }
    } else {
      const bucket = p0 + below(pages) * 12;
      page = next() < load<u32>(bucket) ? load<u32>(bucket, 4) : load<u32>(bucket, 8);
    }
    const isStore = storeThreshold != 0 && next() < storeThreshold;
    if (isStore) stores++;

    const abs = basePage + page;
    const pmd = abs >>> 9;
    const huge = (load<u32>(dir + (pmd << 2)) & PMD_HUGE) != 0;
    const tag = huge ? HUGE_TAG | pmd : abs;
    const key = huge ? pmd : abs;
    if (touch(tlb + (huge ? TLB_L1_2M : TLB_L1_4K), tag, key)) continue;
    if (huge) l1Misses2m++;
    else l1Misses4k++;
    if (touch(tlb + (huge ? TLB_L2_2M : TLB_L2_4K), tag, key)) {
      l2Hits++;
      continue;
    }
    walks++;
    if (!isStore) walksOnLoads++;
    // The walk starts below the deepest cached level; a 2 MiB walk ends at the PMD.
    const pud = pmd >>> 9;
    let refs: u32;
    if (!huge && touch(tlb + TLB_PWC_PMD, pmd, pmd)) refs = 1;
    else if (touch(tlb + TLB_PWC_PUD, pud, pud)) refs = huge ? 1 : 2;
    else if (touch(tlb + TLB_PWC_PGD, pud >>> 9, pud >>> 9)) refs = huge ? 2 : 3;
    else refs = huge ? 3 : 4;
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
  store<f64>(out, <f64>walks, OUT_WALKS);
  store<f64>(out, <f64>walksOnLoads, OUT_WALKS_ON_LOADS);
  store<f64>(out, <f64>walkRefs, OUT_WALK_REFS);
}
