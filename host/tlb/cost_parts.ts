/**
 * A cost model made of parts, beside the seed's two-point line (cost_model.ts):
 *
 *   ticks/access = base + missFraction × missTicks + walks/access × refs/walk × refCycles(level) / mlp
 *
 * - `base`: ticks of an access that takes no walk and hits the caches; it belongs to one
 *   machine and one access pattern and is fitted per group.
 * - missFraction: the share of loads that miss the last-level cache, from the buffer's size
 *   against it (missFraction() below); missTicks: DRAM's latency over the misses a core
 *   overlaps (a random load over 128 MiB, 3/4 of them past a 32 MiB L3).
 * - refs/walk: the paging-structure loads a walk makes after the page-walk caches, from
 *   the TLB simulation (two-dimensional under nested paging, virtualization.ts).
 * - refCycles(level): load-to-use latency of the cache level that holds the walk's
 *   page-table lines, chosen by the page tables' size against the caches (below).
 * - mlp: how many such loads an out-of-order core overlaps for independent accesses,
 *   the reason a walk costs 4-7 ticks in the paper against 14-100+ cycles raw. One value
 *   per machine for all its points (ticks are the machine's TSC's, cycles its cores').
 *
 * The machines' parameters and their sources are in cost_presets.ts; the fit is in
 * cost_calibration.ts.
 */
import type { CostModel } from "./cost_model.ts";
import { type CacheLevels, type CostPreset, paperLine } from "./cost_presets.ts";
import { type Virtualization, virtualizationOf } from "./virtualization.ts";

/** An access pattern as the model tells them apart: random loads or a sequential sweep. */
export type CostPattern = "random" | "stride";

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

/**
 * Share of a pattern's loads over `bufferBytes` that miss a last-level cache of `l3Bytes`:
 * uniform random loads find the cache holding l3/buffer of their lines; a sequential sweep
 * larger than the cache finds none of them (each line is evicted before it comes round).
 */
export function missFraction(pattern: CostPattern, bufferBytes: number, l3Bytes: number): number {
  if (bufferBytes <= l3Bytes) return 0;
  return pattern === "stride" ? 1 : 1 - l3Bytes / bufferBytes;
}

/** One point of the model: what the TLB simulation gives and where page tables live. */
export interface CostInputs {
  readonly walksPerAccess: number;
  readonly refsPerWalk: number;
  /** refCycles() of the point's page tables. */
  readonly refCycles: number;
  /** missFraction() of the point's data; 0 where its data part is in its group's base. */
  readonly missFraction: number;
}

/**
 * The fitted parameters: a base per group of points ("machine/pattern"), an mlp per machine
 * (the part of a group's name before "/": a machine's ticks are its own TSC's, whose ratio to
 * its core clock the mlp absorbs) and one missTicks.
 */
export interface PartsParams {
  readonly base: Readonly<Record<string, number>>;
  readonly mlp: Readonly<Record<string, number>>;
  readonly missTicks: number;
}

/** The machine of a group: "local" of "local/random". */
export function machineOf(group: string): string {
  return group.split("/")[0];
}

/** The walk part of a point: cycles of walk loads per access before overlap. */
export function walkCycles(p: CostInputs): number {
  return p.walksPerAccess * p.refsPerWalk * p.refCycles;
}

/** Ticks per access of `p` in group `group`. */
export function partsTicks(params: PartsParams, group: string, p: CostInputs): number {
  const base = params.base[group];
  const mlp = params.mlp[machineOf(group)];
  if (base === undefined || mlp === undefined) throw new RangeError(`No fitted base and mlp for group "${group}"`);
  return base + p.missFraction * params.missTicks + walkCycles(p) / mlp;
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
 * The parts model as a cost line for runs under `v`: ZEN5_PARTS's base, and per walk the
 * phase-B walk's loads at L2 latency over the mlp. The TSC rate and the offset time are the
 * seed program's, from the bare-metal rows.
 */
export function partsLine(v: Virtualization): CostModel {
  return paperLine(phaseBRefsPerWalk(v));
}

/**
 * Preset `p`'s cost line for an access phase over `bufferBytes` with `pattern`: the base of
 * the pattern and the data part of the buffer, and per walk the phase-B walk's loads
 * (phaseBRefsPerWalk) at the latency of the level that holds the buffer's page tables (all
 * 4 KiB, the most they take) over the mlp.
 */
export function presetLine(p: CostPreset, bufferBytes: number, pattern: CostPattern): CostModel {
  const v = virtualizationOf(p.virtualization);
  const base = (pattern === "stride" ? p.base.stride : undefined) ?? p.base.random;
  const walkLoadCycles = phaseBRefsPerWalk(v) * refCycles(p.caches, pageTableBytes(bufferBytes, 0, v));
  return {
    baseTicks: base + missFraction(pattern, bufferBytes, p.caches.l3Bytes) * p.missTicks,
    ticksPerWalk: walkLoadCycles / p.mlp,
    tscHz: p.tscHz,
    offsetSecondsPerAccess: p.offsetSecondsPerAccess,
  };
}
