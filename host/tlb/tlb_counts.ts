/**
 * The counts of a TLB run and the arithmetic on them: summing runs, extrapolating a
 * sample, and reading them the way a vendor's perf `dTLB-load-misses` would.
 */
import type { TlbPreset } from "./presets.ts";

export interface TlbCounts {
  accesses: number;
  loads: number;
  stores: number;
  /** L1 DTLB misses on 4 KiB pages. */
  l1Misses4k: number;
  /** L1 DTLB misses on 2 MiB pages. */
  l1Misses2m: number;
  /** L1 misses that hit the L2 DTLB. */
  l2Hits: number;
  /** Completed page walks: every L2 miss. */
  walks: number;
  walksOnLoads: number;
  /** Paging-structure loads of the walks, after the page-walk caches. */
  walkRefs: number;
  /** `walks * walkBaseCycles + walkRefs * walkRefCycles` of the preset. */
  walkCycles: number;
}

/** All-zero counts. */
export function zeroCounts(): TlbCounts {
  return {
    accesses: 0, loads: 0, stores: 0, l1Misses4k: 0, l1Misses2m: 0, l2Hits: 0, walks: 0, walksOnLoads: 0,
    walkRefs: 0, walkCycles: 0,
  };
}

/** Add `b` into `a` and return `a`. */
export function addCounts(a: TlbCounts, b: TlbCounts): TlbCounts {
  for (const key of Object.keys(a) as Array<keyof TlbCounts>) a[key] += b[key];
  return a;
}

/** `c` with every count multiplied by `factor` (an extrapolated sample). */
export function scaleCounts(c: TlbCounts, factor: number): TlbCounts {
  const out = zeroCounts();
  for (const key of Object.keys(out) as Array<keyof TlbCounts>) out[key] = c[key] * factor;
  return out;
}

/** What perf's `dTLB-load-misses` reports for `counts` on the preset's vendor. */
export function perfDtlbLoadMisses(counts: TlbCounts, preset: TlbPreset): number {
  return preset.perfDtlbLoadMisses.counts === "walks" ? counts.walks : counts.walksOnLoads;
}
