// The per-order half of the mTHP scan (series v18, aimed at Linux 7.2): the window
// needs from `collapse_max_ptes_none()` and the judgement of every aligned window of a
// PMD's occupied bitmap, written as the OCCUPANCY record's window tree. Its TypeScript
// twin is host/core/occupancy.ts; both write the same bytes.
import { OCCUPANCY_BITMAP, OCCUPANCY_MIN_ORDER, OCCUPANCY_WINDOWS, PTES_PER_PMD } from "./generated/layout";

@inline const PMD_ORDER: u32 = <u32>ctz(PTES_PER_PMD);
/** KHUGEPAGED_MAX_PTES_LIMIT: HPAGE_PMD_NR − 1. */
@inline const MAX_PTES_LIMIT: u32 = PTES_PER_PMD - 1;
/** The fewest occupied PTEs a window of each order needs (u32 per order), for the scan call under way. */
const NEEDS = memory.data(16 * 4);

/**
 * `2^order − collapse_max_ptes_none(order)`. v18's collapse_max_ptes_none() gives the
 * PMD order the sysfs value and an mTHP order 2^order − 1 for 511 and 0 for anything
 * else (it warns once for values other than 0); the earlier postings (`scaled`) gave it
 * `max_ptes_none >> (HPAGE_PMD_ORDER − order)`.
 */
function windowNeed(order: u32, sysfs: u32, scaled: bool): u32 {
  const n: u32 = 1 << order;
  let maxNone: u32;
  if (order == PMD_ORDER) maxNone = sysfs;
  else if (scaled) maxNone = sysfs >> (PMD_ORDER - order);
  else maxNone = sysfs == MAX_PTES_LIMIT ? n - 1 : 0;
  return maxNone >= n ? 0 : n - maxNone;
}

/** The window tree of a fully occupied PMD under the needs of the scan call under way (32 bytes). */
const FULL_TREE = memory.data(32, 16);

/** Set the window needs of one scan call from the sysfs max_ptes_none and the rule, and FULL_TREE. */
export function setWindowNeeds(sysfs: u32, scaled: bool): void {
  memory.fill(FULL_TREE, 0, 32);
  for (let o = OCCUPANCY_MIN_ORDER; o <= PMD_ORDER; o++) {
    store<u32>(NEEDS + (o << 2), windowNeed(o, sysfs, scaled));
    // Every window of this order holds 2^o occupied PTEs, as many as any need: its nodes are 2^(9 − o) … 2^(10 − o) − 1.
    for (let node = PTES_PER_PMD >> o; node < PTES_PER_PMD >> (o - 1); node++) {
      const at = FULL_TREE + ((node >> 5) << 2);
      store<u32>(at, load<u32>(at) | (<u32>1 << (node & 31)));
    }
  }
}

/** Clear the bitmap of the occupancy record at `occ`. */
@inline export function clearBitmap(occ: u32): void {
  const zero = i32x4.splat(0);
  for (let b: u32 = 0; b < PTES_PER_PMD / 8; b += 16) v128.store(occ + OCCUPANCY_BITMAP + b, zero);
}

/** A need as an unsigned lane value: every need of orders up to 5 is at most 33. */
@inline function need(order: u32): u32 {
  return load<u32>(NEEDS + (order << 2));
}

/**
 * `mthp_collapse()`'s test `occupied ≥ 2^o − max_ptes_none(o)` for every aligned window
 * of the bitmap at `occ`, written as its WINDOWS tree. A quarter of the bitmap (128
 * PTEs) at a time: byte lanes count the order-3 and order-2 windows (popcnt), pairwise
 * widening adds give orders 4 and 5 in 16- and 32-bit lanes, compares and bitmasks turn
 * a lane per window into a bit per window; orders 6 to 9 count 64-bit words. Swap and
 * shared entries do not count here: v17 refuses them per window in
 * __collapse_huge_page_isolate() (host/khugepaged/collapse_mthp.ts).
 */
@inline export function writeWindows(occ: u32): void {
  const tree = occ + OCCUPANCY_WINDOWS, bits = occ + OCCUPANCY_BITMAP;
  // A fully occupied PMD, the common case of a populated region, has the tree worked out per call.
  const full = v128.and(v128.and(v128.load(bits), v128.load(bits, 16)), v128.and(v128.load(bits, 32), v128.load(bits, 48)));
  if (i32x4.all_true(i32x4.eq(full, i32x4.splat(-1)))) {
    v128.store(tree, v128.load(FULL_TREE));
    v128.store(tree, v128.load(FULL_TREE, 16), 16);
    return;
  }
  const s2 = i8x16.splat(<i8>need(2)), s3 = i8x16.splat(<i8>need(3));
  const s4 = i16x8.splat(<i16>need(4)), s5 = i32x4.splat(need(5));
  const n6 = need(6), n7 = need(7), n8 = need(8), n9 = need(9);
  const low = i8x16.splat(0x0f);
  // Tree word 0: nodes 1 (order 9), 2-3 (8), 4-7 (7), 8-15 (6), 16-31 (5).
  let top: u32 = 0, half: u32 = 0, total: u32 = 0;
  for (let q: u32 = 0; q < 4; q++) {
    const at = bits + q * 16;
    const v = v128.load(at);
    // A byte's count less its low nibble's is its high nibble's.
    const c3 = i8x16.popcnt(v), lo = i8x16.popcnt(v128.and(v, low)), hi = i8x16.sub(c3, lo);
    const gl = i8x16.ge_u(lo, s2), gh = i8x16.ge_u(hi, s2);
    // Byte b's low nibble is window 2b, its high nibble window 2b + 1: interleave.
    const first = i8x16.bitmask(i8x16.shuffle(gl, gh, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
    const second = i8x16.bitmask(i8x16.shuffle(gl, gh, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    store<u32>(tree + 16 + q * 4, <u32>first | (<u32>second << 16));
    store<u16>(tree + 8 + q * 2, <u16>i8x16.bitmask(i8x16.ge_u(c3, s3)));
    const c4 = i16x8.extadd_pairwise_i8x16_u(c3);
    store<u8>(tree + 4 + q, <u8>i16x8.bitmask(i16x8.ge_u(c4, s4)));
    const c5 = i32x4.extadd_pairwise_i16x8_u(c4);
    top |= <u32>i32x4.bitmask(i32x4.ge_u(c5, s5)) << (16 + q * 4);
    // An order-6 window is a 64-bit word: popcnt beats taking lanes out of c5.
    const c6a = <u32>popcnt(load<u64>(at)), c6b = <u32>popcnt(load<u64>(at, 8));
    top |= (<u32>(c6a >= n6) << (8 + q * 2)) | (<u32>(c6b >= n6) << (9 + q * 2));
    const c7 = c6a + c6b;
    top |= <u32>(c7 >= n7) << (4 + q);
    half += c7;
    if ((q & 1) != 0) {
      top |= <u32>(half >= n8) << (2 + (q >> 1));
      total += half;
      half = 0;
    }
  }
  store<u32>(tree, top | (<u32>(total >= n9) << 1));
}
