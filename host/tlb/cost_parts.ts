/**
 * A cost model made of parts, beside the seed's two-point line (cost_model.ts):
 *
 *   ticks/access = loopTicks(base, dataCycles / dataMlp) + walks/access × refs/walk × refCycles(level) / mlp
 *
 * - `base`: ticks of an access whose data is in the L1 and that takes no walk; it belongs to
 *   one machine and one access pattern and is fitted per group.
 * - dataCycles: the latency of the level that holds the accessed line, averaged over the
 *   pattern's lines (levelShares() below: L2, L3 and DRAM; an L1 hit is in the base); an
 *   out-of-order core overlaps `dataMlp` such independent loads. The L3's capacity is the
 *   share of it this machine's loads find (CostPreset.l3EffectiveBytes, fitted where other
 *   tenants share the L3). loopTicks() overlaps random loads with the base and adds a
 *   stride's to it.
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
/** Bytes of a cache line, and of the page the stride loop steps by (one line per page). */
const LINE_BYTES = 64;
const STRIDE_BYTES = 4096;

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

/** Shares of a pattern's loads served by each level; they sum to 1. */
export interface LevelShares {
  readonly l1: number;
  readonly l2: number;
  readonly l3: number;
  readonly dram: number;
}

/**
 * Share of the L1's and L2's sets a page-aligned line can go to: their set index is the
 * line's address bits from 6 up (L1: 48 KiB of 12 ways, 64 sets, bits 6-11; L2: 1 MiB of 16
 * ways, 1024 sets, bits 6-15), and bits 6-11 of a line at a page's start are 0.
 */
const ALIGNED_SET_SHARE = 1 / 64;

/**
 * What a page stride's lines compete with besides each other: `tableBytes`, the page-table
 * lines its walks read (pageTableBytes(); they cycle through the same caches with the data),
 * and `l3SetShare`, the share of the L3's sets its page-aligned lines can go to (Zen hashes
 * addresses over the L3, so it is not the L2's 1/64: CostPreset.strideL3SetShare, measured).
 */
export interface Sweep {
  readonly tableBytes: number;
  readonly l3SetShare: number;
}

/** A sweep with no page tables beside it and the whole L3 open to it. */
const OPEN_SWEEP: Sweep = { tableBytes: 0, l3SetShare: 1 };

/**
 * Where a pattern's loads over `bufferBytes` find their lines, with `l3Bytes` of L3 for this
 * machine's loads. Random loads go to every line alike, so a level holding C bytes of them
 * serves C/footprint. The page stride (one read-modify-write at the start of each 4 KiB page,
 * B/64 bytes of lines) comes round to a line after all the others: its lines can use only
 * the sets a page-aligned line maps to (a share s of the level), where they compete with
 * that share of the walks' page-table lines (`sweep`); a level serves s·C/(lines + s·tables)
 * of them. Under LRU a cyclic sweep past its sets' ways would find none, but its lines'
 * sets follow the host-physical frames of scattered host pages, so some sets overflow before
 * others and the share falls gradually (the page stride rises smoothly from the L3's ticks
 * at 128 MiB to DRAM's at 384 MiB: bench/results/stride_sizes.json). The L2 holds
 * the L1's lines (inclusive); Zen's L3 is filled by the L2's victims, so the two together
 * hold l2 + l3 bytes.
 */
export function levelShares(pattern: CostPattern, bufferBytes: number, caches: CacheLevels, l3Bytes = caches.l3Bytes, sweep = OPEN_SWEEP): LevelShares {
  const stride = pattern === "stride";
  const lines = stride ? (bufferBytes / STRIDE_BYTES) * LINE_BYTES : bufferBytes;
  const held = (bytes: number, share: number) => Math.min(1, (bytes * share) / (lines + (stride ? sweep.tableBytes * share : 0)));
  const aligned = stride ? ALIGNED_SET_SHARE : 1;
  const l1 = held(caches.l1Bytes, aligned);
  const l2 = held(caches.l2Bytes, aligned);
  // L2 and L3 together, each by the share of its sets the lines can use.
  const s3 = stride ? sweep.l3SetShare : 1;
  const l3 = Math.max(l2, Math.min(1, (caches.l2Bytes * aligned + l3Bytes * s3) / (lines + (stride ? sweep.tableBytes * s3 : 0))));
  return { l1, l2: l2 - l1, l3: l3 - l2, dram: 1 - l3 };
}

/** Cycles of a pattern's data loads beyond the L1, averaged over its loads (levelShares). */
export function dataCycles(pattern: CostPattern, bufferBytes: number, caches: CacheLevels, l3Bytes = caches.l3Bytes, sweep = OPEN_SWEEP): number {
  const s = levelShares(pattern, bufferBytes, caches, l3Bytes, sweep);
  return s.l2 * caches.l2Cycles + s.l3 * caches.l3Cycles + s.dram * caches.dramCycles;
}

/** One point of the model: what the TLB simulation gives and where page tables live. */
export interface CostInputs {
  readonly walksPerAccess: number;
  readonly refsPerWalk: number;
  /** refCycles() of the point's page tables. */
  readonly refCycles: number;
  /** dataCycles() of the point's loads; 0 where its data part is in its group's base. */
  readonly dataCycles: number;
  /** The loop: random loads overlap their data part with the loop's own work, a stride pays both. */
  readonly pattern: CostPattern;
}

/**
 * The fitted parameters: a base per group of points ("machine/pattern"), an mlp per machine
 * (the part of a group's name before "/": a machine's ticks are its own TSC's, whose ratio to
 * its core clock the mlp absorbs) and one dataMlp (Infinity: no point's data part is modelled).
 */
export interface PartsParams {
  readonly base: Readonly<Record<string, number>>;
  readonly mlp: Readonly<Record<string, number>>;
  readonly dataMlp: number;
}

/** The machine of a group: "local" of "local/random". */
export function machineOf(group: string): string {
  return group.split("/")[0];
}

/** The walk part of a point: cycles of walk loads per access before overlap. */
export function walkCycles(p: CostInputs): number {
  return p.walksPerAccess * p.refsPerWalk * p.refCycles;
}

/**
 * Ticks of a loop's own work (`base`) and its data loads (`data`). Independent random loads
 * overlap the two: far apart, the larger counts (an out-of-order core waits on the loads or
 * issues the loop, whichever takes longer); near each other, each holds the other up, and
 * they combine as the root of their squares' sum (a smooth roofline; the exponent 2 is this
 * model's assumption, not fitted). The stride's read-modify-write at the same offset of each
 * page waits for the store before it (4 KiB aliasing), so it pays both.
 */
export function loopTicks(pattern: CostPattern, base: number, data: number): number {
  return pattern === "random" ? Math.hypot(base, data) : base + data;
}

/** Ticks per access of `p` in group `group`. */
export function partsTicks(params: PartsParams, group: string, p: CostInputs): number {
  const base = params.base[group];
  const mlp = params.mlp[machineOf(group)];
  if (base === undefined || mlp === undefined) throw new RangeError(`No fitted base and mlp for group "${group}"`);
  return loopTicks(p.pattern, base, p.dataCycles / params.dataMlp) + walkCycles(p) / mlp;
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

/** The sweep of a page stride over `bufferBytes` (`hugeFraction` of it THPs) on preset `p`'s machine under `v`. */
export function sweepOf(p: CostPreset, bufferBytes: number, hugeFraction: number, v: Virtualization): Sweep {
  return { tableBytes: pageTableBytes(bufferBytes, hugeFraction, v), l3SetShare: p.strideL3SetShare ?? 1 };
}

/**
 * Preset `p`'s cost line for an access phase over `bufferBytes` with `pattern`: the base of
 * the pattern and the data part of the buffer (none where the preset's data part is in its
 * base: dataMlp Infinity), and per walk the phase-B walk's loads
 * (phaseBRefsPerWalk) at the latency of the level that holds the buffer's page tables (all
 * 4 KiB, the most they take) over the mlp.
 */
export function presetLine(p: CostPreset, bufferBytes: number, pattern: CostPattern): CostModel {
  const v = virtualizationOf(p.virtualization);
  const base = (pattern === "stride" ? p.base.stride : undefined) ?? p.base.random;
  const walkLoadCycles = phaseBRefsPerWalk(v) * refCycles(p.caches, pageTableBytes(bufferBytes, 0, v));
  return {
    baseTicks: loopTicks(pattern, base, dataCycles(pattern, bufferBytes, p.caches, p.l3EffectiveBytes, sweepOf(p, bufferBytes, 0, v)) / p.dataMlp),
    ticksPerWalk: walkLoadCycles / p.mlp,
    tscHz: p.tscHz,
    offsetSecondsPerAccess: p.offsetSecondsPerAccess,
  };
}
