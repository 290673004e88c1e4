/**
 * The TLB side of an access phase: one stream of accesses simulated in chunks, each
 * chunk as many accesses as fit in a time budget. Small chunks are simulated access by
 * access; long ones simulate a warm-up and a sample and extrapolate the rest at the
 * sample's rate (the seed's 327,680,000 loads are about 1 % simulated). When the cost
 * model sets the pace, the chunk's length in accesses follows from its own walk rate.
 */
import { PAGE_SIZE } from "../core/layout.ts";
import type { CoreMemory } from "../core/core_memory.ts";
import { type AccessPattern, AccessStream, type TlbRegion } from "../tlb/access_stream.ts";
import type { TaskTlb } from "../tlb/tlb.ts";
import { addCounts, scaleCounts, type TlbCounts, zeroCounts } from "../tlb/tlb_counts.ts";

/** How the TLB model runs: every access, or warm-up + sample + extrapolation for long chunks. */
export interface TlbSampling {
  readonly exact: boolean;
  /** Accesses counted per sample (default 2^20: walks/access to about ±0.0005). */
  readonly sampleAccesses: number;
  /** Accesses run before the sample (default eight times the TLB's entries, at least 65536). */
  readonly warmupAccesses: number;
}

/** Exact simulation goes in sub-chunks this long, so that a time budget is met closely. */
const SUB_CHUNK = 65536;

/** What one chunk did. */
export interface ChunkResult {
  accesses: number;
  counts: TlbCounts;
  ns: number;
  /** Variance of the chunk's extrapolated walk count (0 when every access was simulated). */
  walksVariance: number;
  /** Accesses actually simulated. */
  simulated: number;
}

/** Real accesses per simulated one of `pattern`: a sweep whose stride divides 4096 runs one access per page. */
export function perSimOf(pattern: AccessPattern): number {
  return pattern.kind === "sequential" && pattern.stride < PAGE_SIZE && PAGE_SIZE % pattern.stride === 0
    ? PAGE_SIZE / pattern.stride
    : 1;
}

/**
 * One access stream over a task's region, with the real access count it has reached.
 * A sequential sweep whose stride divides 4096 is simulated one access per page: the
 * other accesses to a page hit the L1 entry the first one filled, so walks and misses
 * are exact and only the access, load and store counts are scaled up.
 */
export class StreamSim {
  readonly stream: AccessStream;
  /** Real accesses per simulated one (1 unless a page-granular sweep). */
  readonly perSim: number;
  /** Real accesses done so far: the sweep's position. */
  realIndex = 0;
  readonly pages: number;
  readonly pattern: AccessPattern;

  constructor(memory: CoreMemory, region: TlbRegion, pattern: AccessPattern, seed: number) {
    this.pattern = pattern;
    this.pages = region.length / PAGE_SIZE;
    this.perSim = perSimOf(pattern);
    const simPattern = this.perSim === 1 ? pattern : { ...pattern, stride: PAGE_SIZE };
    this.stream = new AccessStream(memory, region, simPattern, seed);
  }

  /** Run the next `n` real accesses through `tlb`. */
  run(tlb: TaskTlb, n: number): TlbCounts {
    if (this.perSim === 1) {
      this.realIndex += n;
      return tlb.run(this.stream, n);
    }
    const m = this.perSim;
    const a = this.realIndex;
    const sims = Math.ceil((a + n) / m) - Math.ceil(a / m);
    this.realIndex += n;
    const c = sims > 0 ? tlb.run(this.stream, sims) : zeroCounts();
    const store = this.pattern.storeFraction ?? 0;
    const scale = sims > 0 ? n / sims : 0;
    c.accesses = n;
    c.loads = sims > 0 ? c.loads * scale : n * (1 - store);
    c.stores = sims > 0 ? c.stores * scale : n * store;
    return c;
  }
}

/**
 * Simulate up to `maxAccesses` accesses of `sim` through `tlb` within `budgetNs`,
 * where `nsPerAccess(walksPerAccess)` is the pace. Returns at least one access if the
 * budget allows one at the fastest pace.
 */
export function simulateChunk(
  tlb: TaskTlb, sim: StreamSim, maxAccesses: number, budgetNs: number,
  nsPerAccess: (walksPerAccess: number) => number, sampling: TlbSampling,
): ChunkResult {
  const out: ChunkResult = { accesses: 0, counts: zeroCounts(), ns: 0, walksVariance: 0, simulated: 0 };
  const fastest = nsPerAccess(0);
  const upper = Math.min(maxAccesses, Math.floor(budgetNs / fastest));
  if (upper <= 0) return out;
  const m = sim.perSim;
  const { warmupAccesses: w, sampleAccesses: s } = sampling;
  /** Simulate the next `n` accesses into `out`; returns their counts. */
  const take = (n: number): TlbCounts => {
    const c = sim.run(tlb, n);
    const ns = n * nsPerAccess(c.walks / n);
    addCounts(out.counts, c);
    out.accesses += n;
    out.ns += ns;
    out.simulated += Math.ceil(n / m);
    return c;
  };

  if (sampling.exact || upper / m <= w + s + SUB_CHUNK) {
    let pace = fastest;
    while (out.accesses < maxAccesses && out.ns < budgetNs) {
      const n = Math.min(SUB_CHUNK * m, maxAccesses - out.accesses, Math.floor((budgetNs - out.ns) / pace));
      if (n <= 0) break;
      pace = nsPerAccess(take(n).walks / n);
    }
    return out;
  }
  if (w > 0) take(w * m);
  const sample = take(s * m);
  const p = sample.walks / (s * m);
  const pace = nsPerAccess(p);
  const rest = Math.max(0, Math.min(maxAccesses - out.accesses, Math.floor((budgetNs - out.ns) / pace)));
  if (rest > 0) {
    const f = rest / (s * m);
    addCounts(out.counts, scaleCounts(sample, f));
    out.accesses += rest;
    out.ns += rest * pace;
    // The sample's walks are binomial over its accesses; scaling multiplies the variance by f².
    out.walksVariance = f * f * s * m * p * (1 - Math.min(1, p));
  }
  return out;
}
