/**
 * A cost model made of parts, beside the seed's two-point line (cost_model.ts):
 *
 *   ticks/access = base + walks/access × refs/walk × refCycles(level) / mlp
 *
 * - `base`: ticks of an access that takes no walk; it holds the data access itself
 *   (for a 128 MiB random buffer mostly a DRAM miss, overlapped with its neighbours),
 *   so it belongs to one machine and one access pattern and is fitted per group.
 * - refs/walk: the paging-structure loads a walk makes after the page-walk caches, from
 *   the TLB simulation (two-dimensional under nested paging, virtualization.ts).
 * - refCycles(level): load-to-use latency of the cache level that holds the walk's
 *   page-table lines, chosen by the page tables' size against the caches (below).
 * - mlp: how many such loads an out-of-order core overlaps for independent accesses,
 *   the reason a walk costs 4-7 ticks in the paper against 14-100+ cycles raw. One
 *   value for every point: it is the model's physical claim, and the fit tests it.
 *
 * Every parameter and its source is in this file; the fit is in cost_calibration.ts.
 */
import { BARE_METAL, type CostModel, SEED_ROWS, type SeedRow, walksPerAccess } from "./cost_model.ts";
import type { Virtualization } from "./virtualization.ts";

/** Cache sizes and latencies of a core, in core cycles, which the model takes as TSC ticks. */
export interface CacheLevels {
  readonly l2Bytes: number;
  readonly l3Bytes: number;
  readonly l2Cycles: number;
  readonly l3Cycles: number;
  readonly dramCycles: number;
}

/**
 * AMD Zen 5. Hot Chips 2024 ("Next Generation 'Zen 5' Core"): 1 MiB L2 per core, 32 MiB
 * L3 per CCD. L2 latency 14 cycles as in presets.ts (assumed there too). Assumed: L3 about
 * 50 cycles and DRAM about 100 ns (430 cycles at 4.3 GHz), the usual measurements for
 * desktop Zen 4/5 parts; no vendor source in reach states them. A TSC tick is taken as a
 * core cycle: the 9950X's TSC (4.3 GHz) is its base clock.
 */
export const ZEN5_CACHES: CacheLevels = {
  l2Bytes: 1 << 20, l3Bytes: 32 << 20, l2Cycles: 14, l3Cycles: 50, dramCycles: 430,
};

/** Bytes of x86-64 page-table entries. */
const PTE_BYTES = 8;

/**
 * Bytes of the lowest page tables a walk over `bufferBytes` reads: one PTE per 4 KiB guest
 * page (a THP's walk reads one PMD entry per 2 MiB instead), plus, nested, the host's
 * entries for the buffer at its page size. The upper levels are a few lines and stay cached.
 */
export function pageTableBytes(bufferBytes: number, hugeFraction: number, v: Virtualization): number {
  const guest = bufferBytes * ((1 - hugeFraction) / 4096 + hugeFraction / (2 << 20)) * PTE_BYTES;
  const hostPage = v.mode === "none" ? 0 : v.hostPage === "4k" ? 4096 : v.hostPage === "2m" ? 2 << 20 : 1 << 30;
  return guest + (hostPage === 0 ? 0 : (bufferBytes / hostPage) * PTE_BYTES);
}

/**
 * Cycles of one walk load: page-table lines that fit half the L2 (the data stream takes
 * the rest) hit it; that fit half the L3 hit the L3; larger ones go to DRAM. The halves
 * are an assumption of this model, not a measured share.
 */
export function refCycles(caches: CacheLevels, tableBytes: number): number {
  if (tableBytes <= caches.l2Bytes / 2) return caches.l2Cycles;
  if (tableBytes <= caches.l3Bytes / 2) return caches.l3Cycles;
  return caches.dramCycles;
}

/** One point of the model: what the TLB simulation gives and where page tables live. */
export interface CostInputs {
  readonly walksPerAccess: number;
  readonly refsPerWalk: number;
  /** refCycles() of the point's page tables. */
  readonly refCycles: number;
}

/** The fitted parameters: a base per group of points (machine and pattern) and one mlp. */
export interface PartsParams {
  readonly base: Readonly<Record<string, number>>;
  readonly mlp: number;
}

/** The walk part of a point: cycles of walk loads per access before overlap. */
export function walkCycles(p: CostInputs): number {
  return p.walksPerAccess * p.refsPerWalk * p.refCycles;
}

/** Ticks per access of `p` in group `group`. */
export function partsTicks(params: PartsParams, group: string, p: CostInputs): number {
  const base = params.base[group];
  if (base === undefined) throw new RangeError(`No fitted base for group "${group}"`);
  return base + walkCycles(p) / params.mlp;
}

/**
 * Loads of the walks the seed's phase B makes (128 MiB, uniform): the PMD cache holds all 64
 * of the buffer's PMDs, so a bare-metal walk reads one PTE; nested, the final guest-physical
 * address adds one host load (cachedNestedRefs). The TLB simulation finds exactly these
 * (cost_calibration.ts), which the tests check.
 */
export function phaseBRefsPerWalk(v: Virtualization): number {
  return v.mode === "none" ? 1 : 2;
}

/**
 * The parts model on the paper's machine, fitted on the paper's two "without" rows (bare
 * metal and KVM guest, the guest on 2 MiB host pages) with their page tables in the L2;
 * the "with" rows are held out (cost_band.ts). Equal to what calibrate() fits on the paper's
 * group, without simulating.
 */
export const ZEN5_PARTS: { readonly base: number; readonly mlp: number } = (() => {
  const cycles = (row: SeedRow, v: Virtualization) => walksPerAccess(row) * phaseBRefsPerWalk(v) * ZEN5_CACHES.l2Cycles;
  const bare = cycles(SEED_ROWS.bareMetal.without, { mode: "none" });
  const guest = cycles(SEED_ROWS.kvmGuest.without, { mode: "nested", hostPage: "2m" });
  const perCycle = (SEED_ROWS.kvmGuest.without.ticksPerAccess - SEED_ROWS.bareMetal.without.ticksPerAccess) / (guest - bare);
  return { base: SEED_ROWS.bareMetal.without.ticksPerAccess - bare * perCycle, mlp: 1 / perCycle };
})();

/**
 * The parts model as a cost line for runs under `v`: ZEN5_PARTS's base, and per walk the
 * phase-B walk's loads at L2 latency over the mlp. The TSC rate and the offset time are the
 * seed program's, from the bare-metal rows.
 */
export function partsLine(v: Virtualization): CostModel {
  return { ...BARE_METAL, baseTicks: ZEN5_PARTS.base, ticksPerWalk: (phaseBRefsPerWalk(v) * ZEN5_CACHES.l2Cycles) / ZEN5_PARTS.mlp };
}
