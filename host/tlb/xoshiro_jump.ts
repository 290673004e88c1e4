/**
 * Jump-ahead for the access streams' xoshiro128** state: one step of the generator is a
 * linear map of the 128 state bits over GF(2) (xors, a shift and a rotation), so n steps
 * are the product of the matrices of T^(2^k) for the set bits k of n.
 */

/** A 128×128 matrix over GF(2) as 128 columns of four u32 words: column j is the image of state bit j. */
type Matrix = Uint32Array;

/** One xoshiro128** state step in place (the output scrambler does not touch the state). */
function step(s: Uint32Array): void {
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 11) | (s[3] >>> 21);
}

/** `m · v` into `out` (which may not be `v`). */
function apply(m: Matrix, v: Uint32Array, out: Uint32Array): void {
  out.fill(0);
  for (let j = 0; j < 128; j++) {
    if (((v[j >>> 5] >>> (j & 31)) & 1) === 0) continue;
    const c = j * 4;
    out[0] ^= m[c];
    out[1] ^= m[c + 1];
    out[2] ^= m[c + 2];
    out[3] ^= m[c + 3];
  }
}

/** T^(2^k) for k = 0, 1, …, built on demand. */
const powers: Matrix[] = [];

function power(k: number): Matrix {
  while (powers.length <= k) {
    const m = new Uint32Array(512);
    const col = new Uint32Array(4);
    for (let j = 0; j < 128; j++) {
      if (powers.length === 0) {
        col.fill(0);
        col[j >>> 5] = (1 << (j & 31)) >>> 0;
        step(col);
        m.set(col, j * 4);
      } else {
        const prev = powers[powers.length - 1];
        apply(prev, prev.subarray(j * 4, j * 4 + 4), col);
        m.set(col, j * 4);
      }
    }
    powers.push(m);
  }
  return powers[k];
}

/** Advance the xoshiro128** state `s` (four u32 words, in place) by `n` steps, a non-negative safe integer. */
export function jumpXoshiro128(s: Uint32Array, n: number): void {
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`Cannot jump the stream: steps must be a non-negative safe integer, got ${n}`);
  const tmp = new Uint32Array(4);
  for (let k = 0; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 0) continue;
    apply(power(k), s, tmp);
    s.set(tmp);
  }
}
