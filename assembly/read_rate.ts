// A measuring tool for bench/scan.ts, not part of the model: the rate at which plain
// SIMD code can read a range of memory, the ceiling for any scan of the same bytes.

/** Sum of the u64 words in [ptr, ptr + bytes); `bytes` must be a multiple of 64. */
export function sumBytesSimd(ptr: u32, bytes: u32): u64 {
  let a = i64x2.splat(0), b = a, c = a, d = a;
  for (let p = ptr, end = ptr + bytes; p < end; p += 64) {
    a = i64x2.add(a, v128.load(p));
    b = i64x2.add(b, v128.load(p, 16));
    c = i64x2.add(c, v128.load(p, 32));
    d = i64x2.add(d, v128.load(p, 48));
  }
  const s = i64x2.add(i64x2.add(a, b), i64x2.add(c, d));
  return <u64>(i64x2.extract_lane(s, 0) + i64x2.extract_lane(s, 1));
}
