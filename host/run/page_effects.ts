/**
 * What an access phase leaves in the page tables: every page it reads gets the young
 * bit, every page it writes is dirtied too (so a lazy-free page written again is no
 * longer clean), and a page it touches first is faulted in. The MMU does this per
 * access; the runner does it once per chunk for the pages the chunk's accesses reach.
 *
 * For a sweep those are the pages it crossed. For a random pattern a page with
 * λ = accesses × P(page) expected accesses is reached with probability 1 - e^-λ and
 * written with probability 1 - e^-λw (w the store fraction), drawn from a seeded PRNG;
 * when λ is large for every page (uniform accesses over a region, many per page), every
 * page is reached.
 */
import { PAGE_SIZE } from "../core/layout.ts";
import type { CoreMemory } from "../core/core_memory.ts";
import { touch } from "../mm/fault.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import {
  KIND_HOT, KIND_ZIPF, STREAM_KIND, STREAM_P0, STREAM_P1, STREAM_P2, STREAM_PAGES, ZIPF_BUCKET_BYTES,
} from "../tlb/tlb_layout.ts";
import type { StreamSim } from "./access_sim.ts";

/** λ beyond which a page is taken as reached for sure (e^-40 ≈ 4e-18). */
const SURE = 40;
const NONE = 0, READ = 1, WRITE = 2;

/**
 * P(page) for each page of the stream's region, read from the stream block the TLB
 * core draws from (so both agree on where the accesses go).
 */
export function pageProbabilities(memory: CoreMemory, sim: StreamSim): Float64Array {
  const u32 = memory.u32;
  const w = sim.stream.ptr >>> 2;
  const pages = u32[w + STREAM_PAGES / 4];
  const p = new Float64Array(pages);
  const kind = u32[w + STREAM_KIND / 4];
  if (kind === KIND_HOT) {
    const hotStart = u32[w + STREAM_P0 / 4], hotPages = u32[w + STREAM_P1 / 4];
    const hot = u32[w + STREAM_P2 / 4] / 2 ** 32;
    p.fill((1 - hot) / (pages - hotPages));
    p.fill(hot / hotPages, hotStart, hotStart + hotPages);
  } else if (kind === KIND_ZIPF) {
    // Walker's alias table: bucket r (chosen with 1/pages) gives its own page with
    // probability threshold / 2^32, else its alias.
    let b = u32[w + STREAM_P0 / 4] >>> 2;
    for (let r = 0; r < pages; r++, b += ZIPF_BUCKET_BYTES / 4) {
      const own = u32[b] / 2 ** 32;
      p[u32[b + 1]] += own / pages;
      p[u32[b + 2]] += (1 - own) / pages;
    }
  } else {
    p.fill(1 / pages);
  }
  return p;
}

/**
 * Apply `n` accesses of the stream starting at real access `from`, with store fraction
 * `store`, to the pages of `mm` at `regionStart`.
 */
export function applyPageEffects(
  k: Kernel, mm: Mm, regionStart: number, sim: StreamSim, from: number, n: number, store: number,
  probabilities: () => Float64Array, random: () => number,
): void {
  const pages = sim.pages;
  const action = new Uint8Array(pages);
  const pattern = sim.pattern;
  if (pattern.kind === "sequential") {
    const bytes = pages * PAGE_SIZE;
    const stride = pattern.stride;
    const perPage = Math.max(1, PAGE_SIZE / stride);
    // A page written by any of its accesses: all of them with w = 1, none with w = 0.
    const written = () => store >= 1 || (store > 0 && random() < 1 - (1 - store) ** perPage);
    if (stride <= PAGE_SIZE) {
      const firstByte = (from * stride) % bytes;
      const first = Math.floor(firstByte / PAGE_SIZE);
      const last = Math.floor((firstByte + n * stride - 1) / PAGE_SIZE);
      const count = Math.min(pages, last - first + 1);
      for (let i = 0; i < count; i++) action[(first + i) % pages] = written() ? WRITE : READ;
    } else {
      for (let j = 0; j < Math.min(n, 4 * pages); j++) {
        const page = Math.floor((((from + j) * stride) % bytes) / PAGE_SIZE);
        if (action[page] !== WRITE) action[page] = store > 0 && random() < store ? WRITE : READ;
      }
    }
  } else {
    const p = probabilities();
    for (let i = 0; i < pages; i++) {
      const lambda = n * p[i];
      if (lambda <= 0) continue;
      const reached = lambda >= SURE || random() < 1 - Math.exp(-lambda);
      if (!reached) continue;
      const lw = lambda * store;
      // P(written | reached) = (1 - e^-λw) / (1 - e^-λ).
      action[i] = store > 0 && (lw >= SURE || random() < (1 - Math.exp(-lw)) / (1 - Math.exp(-lambda))) ? WRITE : READ;
    }
  }
  for (let i = 0; i < pages;) {
    const a = action[i];
    let j = i + 1;
    while (j < pages && action[j] === a) j++;
    if (a !== NONE) touch(k, mm, regionStart + i * PAGE_SIZE, (j - i) * PAGE_SIZE, a === WRITE);
    i = j;
  }
}
