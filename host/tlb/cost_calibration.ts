/**
 * Fitting the parts model (cost_parts.ts) on stated points and reporting its error on
 * the points kept out of the fit. The points: the paper's bare-metal and KVM-guest rows
 * (SEED_ROWS, walks per access from perf) and the ticks measured on this machine by
 * bench/native/access_cost.c (phase B's random loads over 8, 128 and 512 MiB and a
 * page-stride read-modify-write over 128 MiB, over 4 KiB pages and THPs). Of each kind at
 * least one point is fitted and one held out.
 */
import { CoreMemory } from "../core/core_memory.ts";
import { PMD } from "../core/layout.ts";
import { AccessStream } from "./access_stream.ts";
import { SEED_ROWS, type SeedRow, walksPerAccess } from "./cost_model.ts";
import { type CostInputs, type CostPattern, machineOf, missFraction, pageTableBytes, type PartsParams, partsTicks, refCycles, walkCycles } from "./cost_parts.ts";
import { type CacheLevels, type CostPreset, type VirtualizationName, ZEN5_CACHES, ZEN5_KVM_4K } from "./cost_presets.ts";
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

/** Ticks per access measured on this machine: by pattern and page size over 128 MiB, and phase B over 8 and 512 MiB of THPs. */
export interface LocalTicks {
  readonly random: Readonly<Record<"4k" | "thp", number>>;
  readonly stride: Readonly<Record<"4k" | "thp", number>>;
  readonly randomThp8MiB: number;
  readonly randomThp512MiB: number;
  /** The largest relative distance of a run from its median, over phase B and the stride at 128 MiB; undefined: 0. */
  readonly scatter?: number;
}

/**
 * The stated points. The paper's guest is taken as backed by 2 MiB host pages: with the
 * patches its walks per access fell to 0.0098, which splintered THPs could not give. The
 * paper's "with" bare-metal run had about three quarters of hot2 huge, its guest all
 * (spec/seed-experiment.md). `local` is this machine, a KVM guest under `localVirt`: its
 * fitted points are phase B over 8 MiB of THPs (no LLC miss, no walk: the random base),
 * over 128 MiB of 4 KiB pages and 512 MiB of THPs (missTicks and its mlp) and the page
 * stride over 4 KiB pages (the stride base); held out, the THP runs over 128 MiB.
 */
export function calibrationPoints(local: LocalTicks, localVirt: Virtualization): CalibrationPoint[] {
  const paper = (kind: PointKind, v: Virtualization, rows: { without: SeedRow; with: SeedRow }, withHuge: number) =>
    (["without", "with"] as const).map((label, i): CalibrationPoint => ({
      label: `${kind} ${label}`, kind, group: "paper/random", inFit: i === 0, pattern: "random",
      bufferBytes: BUFFER_BYTES, dataPart: false, hugeFraction: i === 0 ? 0 : withHuge, virtualization: v, caches: ZEN5_CACHES,
      measuredTicks: rows[label].ticksPerAccess, perfWalksPerAccess: walksPerAccess(rows[label]),
    }));
  const measured = (pattern: CostPattern, pages: "4k" | "thp", mib: number, inFit: boolean, ticks: number): CalibrationPoint => ({
    label: `local-${pattern} ${pages}${mib === 128 ? "" : ` ${mib} MiB`}`, kind: `local-${pattern}`, group: `local/${pattern}`,
    inFit, pattern, bufferBytes: mib * MIB, dataPart: true, hugeFraction: pages === "thp" ? 1 : 0,
    virtualization: localVirt, caches: ZEN5_CACHES, measuredTicks: ticks,
  });
  return [
    ...paper("paper-bare", virtualizationOf("none"), SEED_ROWS.bareMetal, 0.75),
    ...paper("paper-guest", virtualizationOf("nested-2m"), SEED_ROWS.kvmGuest, 1),
    measured("random", "thp", 8, true, local.randomThp8MiB),
    measured("random", "4k", 128, true, local.random["4k"]),
    measured("random", "thp", 128, false, local.random.thp),
    measured("random", "thp", 512, true, local.randomThp512MiB),
    measured("stride", "4k", 128, true, local.stride["4k"]),
    measured("stride", "thp", 128, false, local.stride.thp),
  ];
}

/** Walks per access and loads per walk of `point` on a Zen 5 TLB, simulated with `core` in `memory`. */
export function simulatePoint(point: CalibrationPoint, memory: CoreMemory, core: TlbCore): CostInputs {
  const pmds = point.bufferBytes / (2 * MIB);
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
    missFraction: point.dataPart ? missFraction(point.pattern, point.bufferBytes, point.caches.l3Bytes) : 0,
  };
}

/** Solve the square system `a x = b` by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = m.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(m[best][c]) ? c + i : best), c);
    [m[c], m[p]] = [m[p], m[c]];
    if (Math.abs(m[c][c]) < 1e-12) throw new RangeError("Cannot fit the cost model: the fitted points do not determine it");
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) x[r] = (m[r][n] - m[r].slice(r + 1, n).reduce((s, v, k) => s + v * x[r + 1 + k], 0)) / m[r][r];
  return x;
}

/** The least-squares solution of `rows` x = `targets` (normal equations). */
function leastSquares(rows: number[][], targets: number[]): number[] {
  const n = rows[0].length;
  const ata = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const atb = Array.from({ length: n }, (_, i) => rows.reduce((s, r, k) => s + r[i] * targets[k], 0));
  return solve(ata, atb);
}

/**
 * Least-squares fit of a base per group, a 1/mlp per machine and, if some fitted point has a
 * data part, one missTicks over the points with `inFit`. Where cache misses are paid, walks
 * and misses overlap: a machine with misses whose fit gives its walks no positive cost has
 * them hidden (1/mlp held at 0, mlp Infinity), and a negative missTicks or base is held at 0;
 * the rest is refitted (a non-negative least squares on those coefficients).
 */
export function fitParts(points: readonly CalibrationPoint[], inputs: readonly CostInputs[]): PartsParams {
  const fit = points.map((p, i) => ({ p, x: inputs[i] })).filter(({ p }) => p.inFit);
  const missing = new Set(fit.filter(({ x }) => x.missFraction > 0).map(({ p }) => machineOf(p.group)));
  const targets = fit.map(({ p }) => p.measuredTicks);
  const allGroups = [...new Set(fit.map(({ p }) => p.group))];
  // A base below zero has no meaning (noisy points on which walks explain more than all of
  // the time); `calibrate` wrote such a preset, which machine.costPreset then refused.
  let groups = allGroups;
  let machines = [...new Set(allGroups.map(machineOf))];
  const hidden: string[] = [];
  let data = missing.size > 0;
  for (;;) {
    const x = leastSquares(fit.map(({ p, x }) => [
      // Columns: one indicator per group, the walk cycles per machine (coefficient 1/mlp), the miss fraction (missTicks).
      ...groups.map((g) => (g === p.group ? 1 : 0)),
      ...machines.map((m) => (m === machineOf(p.group) ? walkCycles(x) : 0)),
      ...(data ? [x.missFraction] : []),
    ]), targets);
    const inverse = machines.map((_, i) => x[groups.length + i]);
    const missTicks = data ? x[groups.length + machines.length] : 0;
    const drop = machines.filter((m, i) => !(inverse[i] > 0) && missing.has(m));
    if (drop.length > 0 || missTicks < -1e-9) {
      hidden.push(...drop);
      machines = machines.filter((m) => !drop.includes(m));
      data &&= drop.length > 0 || !(missTicks < -1e-9);
      continue;
    }
    const negative = groups.filter((_, i) => x[i] < -1e-9);
    if (negative.length > 0) {
      groups = groups.filter((g) => !negative.includes(g));
      continue;
    }
    const bad = inverse.findIndex((v) => !(v > 0));
    if (bad >= 0) throw new RangeError(`Cannot fit the cost model: the points give ${machines[bad]} a walk cost of ${inverse[bad]} per cycle`);
    return {
      // Rounding may leave a zero a hair below it.
      base: Object.fromEntries(allGroups.map((g) => [g, groups.includes(g) ? Math.max(0, x[groups.indexOf(g)]) : 0])),
      mlp: Object.fromEntries([...machines.map((m, i) => [m, 1 / inverse[i]]), ...hidden.map((m) => [m, Infinity])]),
      missTicks: Math.max(0, missTicks),
    };
  }
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

/** Fit the parts model on `points`, simulating each with `core`, and report every point. */
export function calibrate(points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): Calibration {
  const inputs = simulateAll(points, core);
  const params = fitParts(points, inputs);
  const rows = rowsOf(params, points, inputs);
  const heldOutError = Math.max(...rows.filter((r) => !r.inFit).map((r) => Math.abs(r.error)));
  return { params, rows, heldOutError };
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
 * A preset for this machine from calibration `c` under virtualization `v`: the local groups'
 * bases, the fitted mlp and missTicks, and as its error what a fresh measurement may show:
 * the largest model error on this machine's points (localRows) plus `scatter`, the runs'
 * scatter about their median in the measurement fitted (LocalTicks); on throughput, that
 * error carried through the offset time (the seed program's).
 */
export function calibratedPreset(c: Calibration, name: string, v: VirtualizationName, tscHz: number, sources: string, scatter = 0): CostPreset {
  const offset = ZEN5_KVM_4K.offsetSecondsPerAccess;
  const held = localRows(c);
  const secondsOf = (ticks: number) => offset + ticks / tscHz;
  const model = Math.max(...held.map((r) => Math.abs(r.error)));
  return {
    name, description: `calibrated: ${sources}`, virtualization: v, caches: ZEN5_CACHES,
    base: { random: c.params.base["local/random"], stride: c.params.base["local/stride"] },
    mlp: c.params.mlp.local, missTicks: c.params.missTicks, tscHz, offsetSecondsPerAccess: offset,
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
  return { base: { "paper/random": random, "local/random": random, "local/stride": preset.base.stride ?? random }, mlp: { paper: preset.mlp, local: preset.mlp }, missTicks: preset.missTicks };
}

/**
 * `preset`'s predictions for `points`, each simulated with `core` as calibrate() does; every
 * row is a check (inFit false). Paper points carry no data part: a preset fitted on the paper
 * (missTicks 0) predicts them as it was fitted.
 */
export function presetRows(preset: CostPreset, points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): CalibrationRow[] {
  const checks = points.map((p) => ({ ...p, inFit: false }));
  return rowsOf(presetParams(preset), checks, simulateAll(checks, core));
}
