/** Sums of simulated access chunks, and their reading as perf stat and the seed program would print them. */
import { type CostModel, ticksPerAccess } from "../tlb/cost_model.ts";
import type { TlbPreset } from "../tlb/presets.ts";
import { perfDtlbLoadMisses } from "../tlb/tlb_counts.ts";
import type { ChunkResult } from "./access_sim.ts";
import type { AccessReport } from "./result.ts";

/**
 * perf's `dTLB-loads` on the preset's vendor. AMD maps it to 0xff45, "All L2 DTLB
 * accesses" (every L1 DTLB miss, loads and stores); Intel to the retired loads.
 */
function perfDtlbLoads(c: ChunkResult["counts"], preset: TlbPreset): number {
  return preset.perfDtlbLoadMisses.counts === "walks" ? c.l1Misses4k + c.l1Misses2m : c.loads;
}

/** Running totals of access chunks. */
export class AccessTotals {
  accesses = 0;
  loads = 0;
  stores = 0;
  dtlbLoads = 0;
  dtlbLoadMisses = 0;
  walks = 0;
  walksVariance = 0;
  /** rdtsc ticks of the accesses (cost model). */
  ticks = 0;
  ns = 0;
  startNs = Infinity;
  endNs = -Infinity;

  /** Add a chunk that ran from `startNs`. */
  add(c: ChunkResult, startNs: number, preset: TlbPreset, model: CostModel): void {
    if (c.accesses === 0) return;
    this.accesses += c.accesses;
    this.loads += c.counts.loads;
    this.stores += c.counts.stores;
    this.dtlbLoads += perfDtlbLoads(c.counts, preset);
    this.dtlbLoadMisses += perfDtlbLoadMisses(c.counts, preset);
    this.walks += c.counts.walks;
    this.walksVariance += c.walksVariance;
    this.ticks += c.accesses * ticksPerAccess(model, c.counts.walks / c.accesses);
    this.ns += c.ns;
    this.startNs = Math.min(this.startNs, startNs);
    this.endNs = Math.max(this.endNs, startNs + c.ns);
  }

  /** The totals as a report; null before the first access. */
  report(): AccessReport | null {
    if (this.accesses === 0) return null;
    const seconds = this.ns / 1e9;
    return {
      accesses: Math.round(this.accesses),
      loads: Math.round(this.loads),
      stores: Math.round(this.stores),
      dtlbLoads: Math.round(this.dtlbLoads),
      dtlbLoadMisses: Math.round(this.dtlbLoadMisses),
      walks: Math.round(this.walks),
      walksPerAccess: this.walks / this.accesses,
      walksPerAccessStdError: Math.sqrt(this.walksVariance) / this.accesses,
      cyclesPerAccess: this.ticks / this.accesses,
      seconds,
      throughputMps: this.accesses / seconds / 1e6,
      startS: this.startNs / 1e9,
      endS: this.endNs / 1e9,
    };
  }
}
