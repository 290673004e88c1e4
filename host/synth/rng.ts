/**
 * The generator's random numbers: a small seeded PRNG (sfc32) and a hash that derives
 * an independent stream from a seed and a key, so that a PMD's contents depend only on
 * the seed and the PMD's index, never on the order things were generated in.
 */

/** Mix 32-bit words into one (murmur3's finalizer over a running hash). */
export function hash32(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    let k = Math.imul(w >>> 0, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seeded stream of uniform numbers (sfc32: fast, 128-bit state, good enough for sampling). */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  /** A stream determined by `words` (e.g. the seed, a purpose tag and an index). */
  constructor(...words: number[]) {
    this.#a = hash32(0xa5a5, ...words);
    this.#b = hash32(0x5a5a, ...words);
    this.#c = hash32(0x3c3c, ...words);
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.u32() / 0x100000000;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal deviate (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}
