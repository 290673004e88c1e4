/**
 * Fitting the parts model (cost_parts.ts) on stated points and reporting its error on
 * the points kept out of the fit. The points: the paper's bare-metal and KVM-guest rows
 * (SEED_ROWS, walks per access from perf) and the ticks measured on this machine by
 * bench/native/access_cost.c (local_points.ts: phase B's random loads from 32 KiB to 512 MiB
 * and a page-stride read-modify-write from 8 to 512 MiB, over 4 KiB pages and THPs). Of each
 * kind at least one point is fitted and one held out.
 */
import { CoreMemory } from "../core/core_memory.ts";
import { PMD } from "../core/layout.ts";
import { AccessStream } from "./access_stream.ts";
import { SEED_ROWS, type SeedRow, walksPerAccess } from "./cost_model.ts";
import { fitParts } from "./cost_fit.ts";
import { type CostInputs, type CostPattern, dataCycles, pageTableBytes, type PartsParams, partsTicks, refCycles } from "./cost_parts.ts";
import { type CacheLevels, type CostPreset, type VirtualizationName, ZEN5_CACHES, ZEN5_KVM_4K } from "./cost_presets.ts";
import { LOCAL_POINTS, localCaches, type LocalTicks, pointKey, ticksOf } from "./local_points.ts";
import { ZEN5 } from "./presets.ts";
import { TaskTlb } from "./tlb.ts";
import type { TlbCore } from "./tlb_core.ts";
import { cachedNestedRefs, hostLevels, nestedWalkRefs, type Virtualization, virtualizationOf } from "./virtualization.ts";

const MIB = 1 << 20;
/** The seed's buffer, and most points'. */
const BUFFER_BYTES = 128 * MIB;
const WARM_UP = 65_536;
const SAMPLE = 262_144;

export type PointKind = "paper-bare" | "paper-guest" | "local-random" | "local-stride";

export interface CalibrationPoint {
  readonly label: string;
  readonly kind: PointKind;
  /** Points of one group share their `base` (one machine, one access pattern). */
  readonly group: string;
  readonly inFit: boolean;
  readonly pattern: CostPattern;
  readonly bufferBytes: number;
  /** Whether the point's data part is modelled; the paper's is in its base (one buffer size). */
  readonly dataPart: boolean;
  /** Share of the buffer's PMDs that are THPs. */
  readonly hugeFraction: number;
  readonly virtualization: Virtualization;
  readonly caches: CacheLevels;
  readonly measuredTicks: number;
  /** Walks per access perf counted, where the point has them; else the simulation's. */
  readonly perfWalksPerAccess?: number;
}

/**
 * The stated points. The paper's guest is taken as backed by 2 MiB host pages: with the
 * patches its walks per access fell to 0.0098, which splintered THPs could not give. The
 * paper's "with" bare-metal run had about three quarters of hot2 huge, its guest all
 * (spec/seed-experiment.md). `local` is this machine (LOCAL_POINTS), a KVM guest under
 * `localVirt`, with its caches' latencies as measured (localCaches).
 */
export function calibrationPoints(local: LocalTicks, localVirt: Virtualization): CalibrationPoint[] {
  const paper = (kind: PointKind, v: Virtualization, rows: { without: SeedRow; with: SeedRow }, withHuge: number) =>
    (["without", "with"] as const).map((label, i): CalibrationPoint => ({
      label: `${kind} ${label}`, kind, group: "paper/random", inFit: i === 0, pattern: "random",
      bufferBytes: BUFFER_BYTES, dataPart: false, hugeFraction: i === 0 ? 0 : withHuge, virtualization: v, caches: ZEN5_CACHES,
      measuredTicks: rows[label].ticksPerAccess, perfWalksPerAccess: walksPerAccess(rows[label]),
    }));
  const caches = localCaches(local);
  return [
    ...paper("paper-bare", virtualizationOf("none"), SEED_ROWS.bareMetal, 0.75),
    ...paper("paper-guest", virtualizationOf("nested-2m"), SEED_ROWS.kvmGuest, 1),
    ...LOCAL_POINTS.map(({ pattern, pages, mib, inFit }): CalibrationPoint => ({
      label: `local-${pattern} ${pages}${mib === 128 ? "" : mib >= 1 ? ` ${mib} MiB` : ` ${mib * 1024} KiB`}`, kind: `local-${pattern}`, group: `local/${pattern}`,
      inFit, pattern, bufferBytes: mib * MIB, dataPart: true, hugeFraction: pages === "thp" ? 1 : 0,
      virtualization: localVirt, caches, measuredTicks: ticksOf(local, pointKey(pattern, pages, mib)),
    })),
  ];
}

/** Walks per access and loads per walk of `point` on a Zen 5 TLB, simulated with `core` in `memory`. */
export function simulatePoint(point: CalibrationPoint, memory: CoreMemory, core: TlbCore): CostInputs {
  // A buffer under 2 MiB sits in one PMD's range.
  const pmds = Math.ceil(point.bufferBytes / (2 * MIB));
  const dir = memory.alloc(pmds * 4, 64);
  const huge = Math.round(point.hugeFraction * pmds);
  for (let i = 0; i < pmds; i++) memory.u32[(dir >>> 2) + i] = i < huge ? PMD.HUGE : 1;
  const region = { dir, firstPmd: 0, offset: 0, length: point.bufferBytes };
  const pattern = point.pattern === "random" ? { kind: "uniform" as const } : { kind: "sequential" as const, stride: 4096 };
  const stream = new AccessStream(memory, region, pattern, 1);
  const tlb = new TaskTlb(memory, core, ZEN5, point.virtualization);
  tlb.run(stream, WARM_UP);
  const c = tlb.run(stream, SAMPLE);
  const levels = hostLevels(point.virtualization);
  return {
    walksPerAccess: point.perfWalksPerAccess ?? c.walks / c.accesses,
    // Too few walks to sample (a guest's THPs): take a walk that hits the PUD cache, the shortest.
    refsPerWalk: cachedNestedRefs(c.walks === 0 ? nestedWalkRefs(1, levels) : c.walkRefs / c.walks, levels),
    refCycles: refCycles(point.caches, pageTableBytes(point.bufferBytes, point.hugeFraction, point.virtualization)),
    dataCycles: dataCyclesOf(point, point.caches.l3Bytes, 1),
    pattern: point.pattern,
  };
}

/**
 * The data part of `point` with `l3Bytes` of L3 and `l3SetShare` of its sets open to a page
 * stride's lines; 0 where it is in the point's base.
 */
function dataCyclesOf(point: CalibrationPoint, l3Bytes: number, l3SetShare: number): number {
  const sweep = { tableBytes: pageTableBytes(point.bufferBytes, point.hugeFraction, point.virtualization), l3SetShare };
  return point.dataPart ? dataCycles(point.pattern, point.bufferBytes, point.caches, l3Bytes, sweep) : 0;
}

export interface CalibrationRow {
  readonly label: string;
  readonly kind: PointKind;
  readonly inFit: boolean;
  readonly inputs: CostInputs;
  readonly measuredTicks: number;
  readonly predictedTicks: number;
  /** predicted / measured - 1. */
  readonly error: number;
}

export interface Calibration {
  readonly params: PartsParams;
  /** The L3 capacity this machine's loads find, fitted with the rest (effectiveL3()). */
  readonly l3EffectiveBytes: number;
  /** The share of the L3's sets a page stride's lines go to, fitted after it (effectiveL3()). */
  readonly strideL3SetShare: number;
  readonly rows: readonly CalibrationRow[];
  /** The largest |error| of the held-out points: the band a prediction of this model carries. */
  readonly heldOutError: number;
}

/** Every point of `points` simulated with `core`, each in a fresh region of one memory. */
function simulateAll(points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): CostInputs[] {
  const memory = new CoreMemory({ maxBytes: 64 << 20 });
  const tlbCore = core(memory.memory);
  return points.map((p) => simulatePoint(p, memory, tlbCore));
}

/** `inputs` with each point's data part for `l3Bytes` of L3, `l3SetShare` of its sets open to a stride. */
function withL3(points: readonly CalibrationPoint[], inputs: readonly CostInputs[], l3Bytes: number, l3SetShare: number): CostInputs[] {
  return inputs.map((x, i) => ({ ...x, dataCycles: dataCyclesOf(points[i], l3Bytes, l3SetShare) }));
}

/** Each point predicted by `params` against its measurement. */
function rowsOf(params: PartsParams, points: readonly CalibrationPoint[], inputs: readonly CostInputs[]): CalibrationRow[] {
  return points.map((p, i): CalibrationRow => {
    const predictedTicks = partsTicks(params, p.group, inputs[i]);
    return {
      label: p.label, kind: p.kind, inFit: p.inFit, inputs: inputs[i], measuredTicks: p.measuredTicks, predictedTicks,
      error: predictedTicks / p.measuredTicks - 1,
    };
  });
}

/** Candidate L3 capacities and set shares, in 64ths: the fit is linear in the rest, not in these. */
const L3_STEPS = 64;

interface L3Fit {
  readonly l3Bytes: number;
  readonly l3SetShare: number;
  readonly params: PartsParams;
  readonly inputs: CostInputs[];
}

/**
 * Of the candidates (an L3 capacity and a set share each), the one whose fit (fitParts) leaves
 * the smallest sum of squared relative errors on the fitted points; undefined if none fits.
 */
function bestFit(points: readonly CalibrationPoint[], inputs: readonly CostInputs[], candidates: ReadonlyArray<readonly [number, number]>): L3Fit | undefined {
  let best: (L3Fit & { squares: number }) | undefined;
  for (const [l3Bytes, l3SetShare] of candidates) {
    const xs = withL3(points, inputs, l3Bytes, l3SetShare);
    let params: PartsParams;
    try {
      params = fitParts(points, xs);
    } catch {
      continue;
    }
    const squares = rowsOf(params, points, xs).filter((r) => r.inFit).reduce((sum, r) => sum + r.error ** 2, 0);
    if (best === undefined || squares < best.squares - 1e-15) best = { l3Bytes, l3SetShare, params, inputs: xs, squares };
  }
  return best;
}

/**
 * The L3 capacity, among 1/64, 2/64, … of the local points' L3, and the share of its sets a
 * page stride's lines go to, among 1/64, 2/64, … 1, that fit the points best (bestFit): the
 * capacity with all sets open, then the share at that capacity, then the capacity again at
 * that share (the random points set the capacity, the stride's past 128 MiB the share). The
 * cache's own capacity and all its sets where no fitted point has a data part. A guest's
 * loads may find less than the whole L3: the CCD's other cores, the host's and other
 * tenants', fill it too.
 */
function effectiveL3(points: readonly CalibrationPoint[], inputs: readonly CostInputs[]): L3Fit {
  const local = points.find((p) => p.dataPart && p.inFit);
  const full = local?.caches.l3Bytes ?? ZEN5_CACHES.l3Bytes;
  const steps = Array.from({ length: L3_STEPS }, (_, i) => (i + 1) / L3_STEPS);
  const sizes = (share: number) => (local === undefined ? [full] : steps.map((f) => f * full)).map((b) => [b, share] as const);
  const bySize = bestFit(points, inputs, sizes(1));
  const byShare = bySize && local !== undefined ? bestFit(points, inputs, steps.map((s) => [bySize.l3Bytes, s] as const)) : bySize;
  // No capacity fits: fitParts' own refusal, at the cache's size.
  return (byShare && bestFit(points, inputs, sizes(byShare.l3SetShare))) ??
    { l3Bytes: full, l3SetShare: 1, params: fitParts(points, withL3(points, inputs, full, 1)), inputs: withL3(points, inputs, full, 1) };
}

/** Fit the parts model on `points`, simulating each with `core`, and report every point. */
export function calibrate(points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): Calibration {
  const { l3Bytes, l3SetShare, params, inputs } = effectiveL3(points, simulateAll(points, core));
  const rows = rowsOf(params, points, inputs);
  const heldOutError = Math.max(...rows.filter((r) => !r.inFit).map((r) => Math.abs(r.error)));
  return { params, l3EffectiveBytes: l3Bytes, strideL3SetShare: l3SetShare, rows, heldOutError };
}

/**
 * This machine's points (not the paper's), held out and fitted: the fit has more points than
 * parameters, so a fitted point keeps a residual, and the band a preset fitted here carries
 * is the largest error of either.
 */
function localRows(c: Calibration): CalibrationRow[] {
  return c.rows.filter((r) => r.kind.startsWith("local-"));
}

/**
 * A preset for this machine from calibration `c` under virtualization `v`, with `caches` its
 * latencies as measured (localCaches): the local groups' bases, the fitted mlp, dataMlp and
 * L3 capacity, and as its error what a fresh measurement may show: the largest model error on
 * this machine's points (localRows) plus `scatter`, the runs' scatter about their median in
 * the measurement fitted (LocalTicks); on throughput, that error carried through the offset
 * time (the seed program's).
 */
export function calibratedPreset(c: Calibration, name: string, v: VirtualizationName, tscHz: number, sources: string, caches: CacheLevels, scatter = 0): CostPreset {
  const offset = ZEN5_KVM_4K.offsetSecondsPerAccess;
  const held = localRows(c);
  const secondsOf = (ticks: number) => offset + ticks / tscHz;
  const model = Math.max(...held.map((r) => Math.abs(r.error)));
  return {
    name, description: `calibrated: ${sources}`, virtualization: v, caches,
    base: { random: c.params.base["local/random"], stride: c.params.base["local/stride"] },
    mlp: c.params.mlp.local, dataMlp: c.params.dataMlp, l3EffectiveBytes: c.l3EffectiveBytes,
    strideL3SetShare: c.strideL3SetShare, tscHz, offsetSecondsPerAccess: offset,
    error: {
      cycles: model + scatter,
      throughput: Math.max(...held.map((r) => Math.abs(secondsOf(r.measuredTicks) / secondsOf(r.measuredTicks * (1 + model + scatter)) - 1))),
      heldOut: `this machine's points (held out: ${held.filter((r) => !r.inFit).map((r) => r.label).join(", ")}; the rest fitted, ` +
        `with their residuals): model ±${(100 * model).toFixed(1)} % plus the runs' scatter ±${(100 * scatter).toFixed(1)} %`,
    },
    sources: `fitted by khugesim calibrate on ${sources}; ${ZEN5_KVM_4K.sources}`,
  };
}

/** `preset`'s parameters as the fit's: its random base for the random groups, its stride base for the stride group. */
function presetParams(preset: CostPreset): PartsParams {
  const random = preset.base.random;
  return {
    base: { "paper/random": random, "local/random": random, "local/stride": preset.base.stride ?? random },
    mlp: { paper: preset.mlp, local: preset.mlp }, dataMlp: preset.dataMlp,
  };
}

/**
 * `preset`'s predictions for `points`, each simulated with `core` as calibrate() does on the
 * preset's caches and L3 capacity; every row is a check (inFit false). Paper points carry no
 * data part: a preset fitted on the paper (dataMlp Infinity) predicts them as it was fitted.
 */
export function presetRows(preset: CostPreset, points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): CalibrationRow[] {
  const checks = points.map((p) => ({ ...p, inFit: false, caches: preset.caches }));
  return rowsOf(presetParams(preset), checks, withL3(checks, simulateAll(checks, core), preset.l3EffectiveBytes, preset.strideL3SetShare ?? 1));
}
