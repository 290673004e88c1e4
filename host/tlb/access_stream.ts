/**
 * An access stream: a region of an mm, an access pattern over it, and the stream's
 * cursor and PRNG, written as a stream block (host/tlb/tlb_layout.ts) that the TLB core
 * reads and advances. The core draws every address itself; the host only precomputes
 * what a pattern needs once (a Zipf alias table).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PAGE_SIZE, PMD_SIZE, PTES_PER_PMD } from "../core/layout.ts";
import {
  KIND_HOT, KIND_SEQUENTIAL, KIND_UNIFORM, KIND_ZIPF, STREAM_BASE_PAGE, STREAM_BYTES, STREAM_DIR, STREAM_KIND,
  STREAM_P0, STREAM_PAGES, STREAM_RNG, STREAM_STORE_THRESHOLD, ZIPF_BUCKET_BYTES,
} from "./tlb_layout.ts";

/**
 * A page-aligned range of an mm. Its pages are mapped by the PMD directory at `dir`
 * (one u32 per 2 MiB, `PMD.HUGE` set for a 2 MiB page), which must have an entry for
 * every PMD the range touches; the range starts `offset` bytes into the 2 MiB covered
 * by entry `firstPmd`, so it need not be 2 MiB aligned.
 */
export interface TlbRegion {
  /** Byte offset of the PMD directory in core memory. */
  readonly dir: number;
  /** Directory index of the PMD holding the first byte (with a PageTable: `(start >> 21) - basePmd`). */
  readonly firstPmd: number;
  /** Byte offset of the first byte inside that PMD's 2 MiB, a multiple of 4096. */
  readonly offset: number;
  /** Length in bytes, a positive multiple of 4096. */
  readonly length: number;
}

/**
 * Where the accesses go. The TLB sees pages only, so a pattern draws pages; the byte
 * inside a page (the seed's 64-byte-aligned byte) cannot change a translation.
 */
export type AccessPattern = (
  /** A sweep from the region start, `stride` bytes per access, wrapping at the end. */
  | { readonly kind: "sequential"; readonly stride: number }
  /** Pages drawn uniformly: the seed experiment's phase B. */
  | { readonly kind: "uniform" }
  /**
   * A hot block of `hotFraction` of the pages, starting `hotOffset` (a fraction, default
   * 0) into the region, receives `hotProbability` of the accesses; the rest go uniformly
   * to the other pages.
   */
  | { readonly kind: "hot"; readonly hotFraction: number; readonly hotProbability: number; readonly hotOffset?: number }
  /** Page popularity Zipf(`exponent`) over ranks, ranks shuffled over the pages by the seed. */
  | { readonly kind: "zipf"; readonly exponent: number }
) & {
  /** Fraction of accesses that are stores (default 0: one draw per access is saved). */
  readonly storeFraction?: number;
};

/** The largest region: 4 KiB page numbers must stay below 2^31 and PMD indexes below 2^22. */
const MAX_PAGE = 2 ** 31;

/** A fraction as a u32 threshold on a draw: P(draw < t) = t / 2^32, 1 clamped to 2^32 - 1. */
function threshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

/** splitmix32: seeds xoshiro128** from one integer (its state must not be all zero). */
function* splitmix32(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    yield (z ^ (z >>> 16)) >>> 0;
  }
}

function fail(field: string, rule: string, value: unknown): never {
  throw new RangeError(`Cannot create access stream: ${field} must be ${rule}, got ${JSON.stringify(value)}`);
}

/** The 4 KiB page number, counted from directory entry 0, of a region's first page. */
function basePageOf(dir: number, firstPmd: number, offset: number, pages: number): number {
  if (!(Number.isInteger(dir) && dir >= 0 && dir % 4 === 0)) fail("region.dir", "a 4-byte-aligned offset", dir);
  if (!(Number.isInteger(firstPmd) && firstPmd >= 0)) fail("region.firstPmd", "a non-negative integer", firstPmd);
  const basePage = firstPmd * PTES_PER_PMD + offset / PAGE_SIZE;
  if (basePage + pages > MAX_PAGE) {
    fail("region", "within 8 TiB of directory entry 0", { firstPmd, offset, length: pages * PAGE_SIZE });
  }
  return basePage;
}

/** A region, a pattern and a seeded PRNG as a stream block in core memory. */
export class AccessStream {
  /** Byte offset of the stream block. */
  readonly ptr: number;
  readonly pattern: AccessPattern;
  #region: TlbRegion;
  readonly #memory: CoreMemory;
  /** Region length in 4 KiB pages. */
  readonly pages: number;

  /** Write the stream block (and a Zipf table) for `pattern` over `region`, seeded by `seed`. */
  constructor(memory: CoreMemory, region: TlbRegion, pattern: AccessPattern, seed: number) {
    const { dir, firstPmd, offset, length } = region;
    if (!(Number.isInteger(offset) && offset >= 0 && offset < PMD_SIZE && offset % PAGE_SIZE === 0)) {
      fail("region.offset", "a multiple of 4096 below 2097152", offset);
    }
    if (!(Number.isInteger(length) && length > 0 && length % PAGE_SIZE === 0)) {
      fail("region.length", "a positive multiple of 4096", length);
    }
    if (!Number.isInteger(seed)) fail("seed", "an integer", seed);
    const pages = length / PAGE_SIZE;
    const basePage = basePageOf(dir, firstPmd, offset, pages);
    const storeFraction = pattern.storeFraction ?? 0;
    if (!(storeFraction >= 0 && storeFraction <= 1)) fail("pattern.storeFraction", "in [0, 1]", storeFraction);

    this.#region = region;
    this.#memory = memory;
    this.pattern = pattern;
    this.pages = pages;
    this.ptr = memory.alloc(STREAM_BYTES, 64);
    const words = this.#patternWords(memory, pattern, pages, seed);
    const u32 = memory.u32;
    const w = this.ptr >>> 2;
    u32[w + STREAM_DIR / 4] = dir;
    u32[w + STREAM_BASE_PAGE / 4] = basePage;
    u32[w + STREAM_PAGES / 4] = pages;
    u32[w + STREAM_KIND / 4] = words.kind;
    u32[w + STREAM_STORE_THRESHOLD / 4] = threshold(storeFraction);
    u32.set(words.params, w + STREAM_P0 / 4);
    const rng = splitmix32(seed);
    for (let i = 0; i < 4; i++) u32[w + STREAM_RNG / 4 + i] = rng.next().value as number;
  }

  /** The region the stream covers. */
  get region(): TlbRegion {
    return this.#region;
  }

  /**
   * Point the stream at a moved directory (a PageTable that grew reallocates it). TLB
   * tags are page numbers counted from directory entry 0, so when entry 0 changes its
   * PMD (`firstPmd` changes) the task's TLB must be reset as well.
   */
  setDirectory(dir: number, firstPmd: number): void {
    const basePage = basePageOf(dir, firstPmd, this.#region.offset, this.pages);
    this.#region = { ...this.#region, dir, firstPmd };
    const w = this.ptr >>> 2;
    this.#memory.u32[w + STREAM_DIR / 4] = dir;
    this.#memory.u32[w + STREAM_BASE_PAGE / 4] = basePage;
  }

  #patternWords(memory: CoreMemory, pattern: AccessPattern, pages: number, seed: number):
    { kind: number; params: number[] } {
    switch (pattern.kind) {
      case "sequential": {
        const { stride } = pattern;
        if (!(Number.isSafeInteger(stride) && stride > 0)) fail("pattern.stride", "a positive integer", stride);
        // A stride past the end wraps, so only its remainder modulo the region matters.
        const step = stride % (pages * PAGE_SIZE);
        return { kind: KIND_SEQUENTIAL, params: [Math.floor(step / PAGE_SIZE), step % PAGE_SIZE, 0, 0] };
      }
      case "uniform":
        return { kind: KIND_UNIFORM, params: [0, 0, 0, 0] };
      case "hot": {
        const { hotFraction, hotProbability } = pattern;
        const hotOffset = pattern.hotOffset ?? 0;
        const hotPages = Math.round(hotFraction * pages);
        if (!(hotFraction > 0 && hotFraction < 1 && hotPages >= 1 && hotPages < pages)) {
          fail("pattern.hotFraction", `in (0, 1) and leave at least one hot and one cold page of ${pages}`, hotFraction);
        }
        if (!(hotProbability >= 0 && hotProbability <= 1)) fail("pattern.hotProbability", "in [0, 1]", hotProbability);
        if (!(hotOffset >= 0 && hotOffset < 1)) fail("pattern.hotOffset", "in [0, 1)", hotOffset);
        const hotStart = Math.min(Math.floor(hotOffset * pages), pages - hotPages);
        return { kind: KIND_HOT, params: [hotStart, hotPages, threshold(hotProbability), 0] };
      }
      case "zipf": {
        const { exponent } = pattern;
        if (!(exponent > 0 && exponent <= 10)) fail("pattern.exponent", "in (0, 10]", exponent);
        return { kind: KIND_ZIPF, params: [zipfTable(memory, pages, exponent, seed), 0, 0, 0] };
      }
      default:
        throw new TypeError(`Cannot create access stream: unknown pattern.kind ${JSON.stringify((pattern as { kind: unknown }).kind)}`);
    }
  }
}

/**
 * Write a Walker/Vose alias table for Zipf(`exponent`) over `pages` ranks, each bucket
 * holding its own page and its alias's page, so the core draws a page in O(1): a
 * uniform bucket, then one threshold test. Rank r goes to page perm[r], a shuffle
 * seeded by `seed`, so popular pages are scattered over the region as heap pages are.
 */
function zipfTable(memory: CoreMemory, pages: number, exponent: number, seed: number): number {
  const prob = new Float64Array(pages);
  let sum = 0;
  for (let r = 0; r < pages; r++) sum += prob[r] = (r + 1) ** -exponent;
  for (let r = 0; r < pages; r++) prob[r] = (prob[r] * pages) / sum;

  const alias = new Uint32Array(pages);
  const small: number[] = [];
  const large: number[] = [];
  for (let r = pages - 1; r >= 0; r--) (prob[r] < 1 ? small : large).push(r);
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number;
    const l = large.pop() as number;
    alias[s] = l;
    prob[l] -= 1 - prob[s];
    (prob[l] < 1 ? small : large).push(l);
  }
  // Leftovers are 1 up to rounding: they always take their own page.
  for (const r of [...small, ...large]) {
    prob[r] = 1;
    alias[r] = r;
  }

  const perm = new Uint32Array(pages);
  for (let i = 0; i < pages; i++) perm[i] = i;
  const rng = splitmix32(seed ^ 0x5a17f00d);
  for (let i = pages - 1; i > 0; i--) {
    const j = Math.floor(((rng.next().value as number) / 2 ** 32) * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }

  const table = memory.alloc(pages * ZIPF_BUCKET_BYTES, 64);
  const u32 = memory.u32;
  for (let r = 0, w = table >>> 2; r < pages; r++, w += ZIPF_BUCKET_BYTES / 4) {
    u32[w] = threshold(prob[r]);
    u32[w + 1] = perm[r];
    u32[w + 2] = perm[alias[r]];
  }
  return table;
}
