/**
 * Billions of accesses per interval are estimated, not simulated: after a warm-up that
 * brings the TLB to its steady state for the current page map, a sample of accesses is
 * simulated and its counts are scaled to the interval. The result carries the binomial
 * standard error of walks per access so that a caller can see what the sample bought.
 */
import type { AccessStream } from "./access_stream.ts";
import type { TlbPreset } from "./presets.ts";
import type { TaskTlb } from "./tlb.ts";
import { scaleCounts, type TlbCounts } from "./tlb_counts.ts";

export interface TlbSampleOptions {
  /** Simulate every access (tests, small intervals). Default false. */
  readonly exact?: boolean;
  /** Accesses simulated and counted. Default 2^20: the error of walks/access is then at most 0.0005. */
  readonly sampleAccesses?: number;
  /**
   * Accesses simulated but not counted, before the sample. Default eight times the TLB's
   * entries (at least 65536): enough for uniform traffic to refill every array.
   */
  readonly warmupAccesses?: number;
}

export interface TlbEstimate {
  /** The interval's accesses; `counts` are scaled to it. */
  readonly accesses: number;
  readonly counts: TlbCounts;
  /** Accesses simulated and counted (the whole interval in exact mode). */
  readonly simulated: number;
  readonly exact: boolean;
  readonly walksPerAccess: number;
  /**
   * sqrt(p (1 - p) / n) over the n counted accesses; 0 in exact mode. It treats accesses
   * as independent, which holds for random patterns in steady state and understates
   * the error of strongly correlated ones (a sweep's sample is one contiguous stretch).
   */
  readonly walksPerAccessStdError: number;
}

/** Accesses counted per sample unless told. */
export const DEFAULT_SAMPLE = 2 ** 20;
const MIN_WARMUP = 65536;
const WARMUP_PER_ENTRY = 8;

/** Warm-up accesses unless told: eight per TLB entry of `preset`, at least 65536. */
export function defaultWarmupAccesses(preset: TlbPreset): number {
  const entries = preset.l1.entries + (preset.l1Huge === "shared" ? 0 : preset.l1Huge.entries) + preset.l2.entries;
  return Math.max(MIN_WARMUP, WARMUP_PER_ENTRY * entries);
}

/** Why `sampleAccesses` and `warmupAccesses` cannot make a sample, or null when they can. */
export function samplingProblem(sampleAccesses: number, warmupAccesses: number): string | null {
  if (!(Number.isSafeInteger(sampleAccesses) && sampleAccesses > 0)) {
    return `sampleAccesses must be a positive integer, got ${sampleAccesses}`;
  }
  if (!(Number.isSafeInteger(warmupAccesses) && warmupAccesses >= 0)) {
    return `warmupAccesses must be a non-negative integer, got ${warmupAccesses}`;
  }
  return null;
}

/**
 * Estimate the counts of the next `accesses` accesses of `stream` through `tlb`. The
 * TLB keeps its state for the next interval; the stream advances by the accesses
 * simulated, not by `accesses` (a sweep's position is not carried across the skip).
 */
export function estimateTlb(
  tlb: TaskTlb,
  stream: AccessStream,
  accesses: number,
  options: TlbSampleOptions = {},
): TlbEstimate {
  if (!(Number.isSafeInteger(accesses) && accesses > 0)) {
    throw new RangeError(`Cannot estimate TLB counts: accesses must be a positive integer, got ${accesses}`);
  }
  const sample = options.sampleAccesses ?? DEFAULT_SAMPLE;
  const warmup = options.warmupAccesses ?? defaultWarmupAccesses(tlb.preset);
  const problem = samplingProblem(sample, warmup);
  if (problem !== null) throw new RangeError(`Cannot estimate TLB counts: ${problem}`);
  if (options.exact === true || accesses <= warmup + sample) {
    const counts = tlb.run(stream, accesses);
    return { accesses, counts, simulated: accesses, exact: true, walksPerAccess: counts.walks / accesses,
      walksPerAccessStdError: 0 };
  }
  tlb.run(stream, warmup);
  const counted = tlb.run(stream, sample);
  const p = counted.walks / sample;
  return {
    accesses,
    counts: scaleCounts(counted, accesses / sample),
    simulated: sample,
    exact: false,
    walksPerAccess: p,
    walksPerAccessStdError: Math.sqrt((p * (1 - p)) / sample),
  };
}
