/**
 * Fitting the parts model (cost_parts.ts) on stated points and reporting its error on
 * the points kept out of the fit. The points: the paper's bare-metal and KVM-guest rows
 * (SEED_ROWS, walks per access from perf) and the ticks measured on this machine by
 * bench/native/access_cost.c (phase B's random loads and a page-stride read-modify-write,
 * over 4 KiB pages and THPs). Of each kind one point is fitted and one held out.
 */
import { CoreMemory } from "../core/core_memory.ts";
import { PMD } from "../core/layout.ts";
import { AccessStream } from "./access_stream.ts";
import { SEED_ROWS, type SeedRow, walksPerAccess } from "./cost_model.ts";
import { type CacheLevels, type CostInputs, pageTableBytes, type PartsParams, partsTicks, refCycles, walkCycles, ZEN5_CACHES } from "./cost_parts.ts";
import { ZEN5 } from "./presets.ts";
import { TaskTlb } from "./tlb.ts";
import type { TlbCore } from "./tlb_core.ts";
import { cachedNestedRefs, hostLevels, nestedWalkRefs, type Virtualization, virtualizationOf } from "./virtualization.ts";

/** The buffer of every point: the seed's 128 MiB. */
const BUFFER_BYTES = 128 << 20;
const PMDS = BUFFER_BYTES / (2 << 20);
const WARM_UP = 65_536;
const SAMPLE = 262_144;

export type PointKind = "paper-bare" | "paper-guest" | "local-random" | "local-stride";

export interface CalibrationPoint {
  readonly label: string;
  readonly kind: PointKind;
  /** Points of one group share their `base` (one machine, one access pattern). */
  readonly group: string;
  readonly inFit: boolean;
  readonly pattern: "random" | "stride";
  /** Share of the buffer's PMDs that are THPs. */
  readonly hugeFraction: number;
  readonly virtualization: Virtualization;
  readonly caches: CacheLevels;
  readonly measuredTicks: number;
  /** Walks per access perf counted, where the point has them; else the simulation's. */
  readonly perfWalksPerAccess?: number;
}

/** Ticks per access measured on this machine, by pattern and page size. */
export type LocalTicks = Readonly<Record<"random" | "stride", Readonly<Record<"4k" | "thp", number>>>>;

/**
 * The stated points. The paper's guest is taken as backed by 2 MiB host pages: with the
 * patches its walks per access fell to 0.0098, which splintered THPs could not give. The
 * paper's "with" bare-metal run had about three quarters of hot2 huge, its guest all
 * (spec/seed-experiment.md). `local` is this machine, a KVM guest under `localVirt`.
 */
export function calibrationPoints(local: LocalTicks, localVirt: Virtualization): CalibrationPoint[] {
  const paper = (kind: PointKind, v: Virtualization, rows: { without: SeedRow; with: SeedRow }, withHuge: number) =>
    (["without", "with"] as const).map((label, i): CalibrationPoint => ({
      label: `${kind} ${label}`, kind, group: "paper/random", inFit: i === 0, pattern: "random",
      hugeFraction: i === 0 ? 0 : withHuge, virtualization: v, caches: ZEN5_CACHES,
      measuredTicks: rows[label].ticksPerAccess, perfWalksPerAccess: walksPerAccess(rows[label]),
    }));
  const measured = (pattern: "random" | "stride") =>
    (["4k", "thp"] as const).map((pages, i): CalibrationPoint => ({
      label: `local-${pattern} ${pages}`, kind: `local-${pattern}`, group: `local/${pattern}`, inFit: i === 0, pattern,
      hugeFraction: i, virtualization: localVirt, caches: ZEN5_CACHES, measuredTicks: local[pattern][pages],
    }));
  return [
    ...paper("paper-bare", virtualizationOf("none"), SEED_ROWS.bareMetal, 0.75),
    ...paper("paper-guest", virtualizationOf("nested-2m"), SEED_ROWS.kvmGuest, 1),
    ...measured("random"),
    ...measured("stride"),
  ];
}

/** Walks per access and loads per walk of `point` on a Zen 5 TLB, simulated with `core` in `memory`. */
export function simulatePoint(point: CalibrationPoint, memory: CoreMemory, core: TlbCore): CostInputs {
  const dir = memory.alloc(PMDS * 4, 64);
  const huge = Math.round(point.hugeFraction * PMDS);
  for (let i = 0; i < PMDS; i++) memory.u32[(dir >>> 2) + i] = i < huge ? PMD.HUGE : 1;
  const region = { dir, firstPmd: 0, offset: 0, length: BUFFER_BYTES };
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
    refCycles: refCycles(point.caches, pageTableBytes(BUFFER_BYTES, point.hugeFraction, point.virtualization)),
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

/** Least-squares fit of a base per group and one 1/mlp over the points with `inFit`. */
export function fitParts(points: readonly CalibrationPoint[], inputs: readonly CostInputs[]): PartsParams {
  const fit = points.map((p, i) => ({ p, x: walkCycles(inputs[i]) })).filter(({ p }) => p.inFit);
  const groups = [...new Set(fit.map(({ p }) => p.group))];
  // Columns: one indicator per group, then the walk cycles (its coefficient is 1/mlp).
  const rows = fit.map(({ p, x }) => [...groups.map((g) => (g === p.group ? 1 : 0)), x]);
  const n = groups.length + 1;
  const ata = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const atb = Array.from({ length: n }, (_, i) => rows.reduce((s, r, k) => s + r[i] * fit[k].p.measuredTicks, 0));
  const x = solve(ata, atb);
  const inverseMlp = x[n - 1];
  if (!(inverseMlp > 0)) throw new RangeError(`Cannot fit the cost model: the points give a walk cost of ${inverseMlp} per cycle`);
  return { base: Object.fromEntries(groups.map((g, i) => [g, x[i]])), mlp: 1 / inverseMlp };
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

/** Fit the parts model on `points`, simulating each with `core`, and report every point. */
export function calibrate(points: readonly CalibrationPoint[], core: (memory: WebAssembly.Memory) => TlbCore): Calibration {
  const memory = new CoreMemory({ maxBytes: 64 << 20 });
  const tlbCore = core(memory.memory);
  const inputs = points.map((p) => simulatePoint(p, memory, tlbCore));
  const params = fitParts(points, inputs);
  const rows = points.map((p, i): CalibrationRow => {
    const predictedTicks = partsTicks(params, p.group, inputs[i]);
    return {
      label: p.label, kind: p.kind, inFit: p.inFit, inputs: inputs[i], measuredTicks: p.measuredTicks, predictedTicks,
      error: predictedTicks / p.measuredTicks - 1,
    };
  });
  const heldOutError = Math.max(...rows.filter((r) => !r.inFit).map((r) => Math.abs(r.error)));
  return { params, rows, heldOutError };
}
