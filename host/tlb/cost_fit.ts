/**
 * Fitting the parts model (cost_parts.ts) on measured points: a least squares on relative
 * error (ticks range from 1 to 40 over this machine's points), linear in the base per group,
 * 1/mlp per machine and 1/dataMlp, with the coefficients that cannot be negative held at 0.
 */
import { type CostInputs, machineOf, type PartsParams, partsTicks, walkCycles } from "./cost_parts.ts";

/** What the fit reads of a point: its group, whether it is fitted, and its ticks. */
export interface FitPoint {
  readonly group: string;
  readonly inFit: boolean;
  readonly measuredTicks: number;
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
 * The linear fit that starts the refinement: a random point with data loads taken as bound by
 * them alone, one without as bound by its base (the loop's own work); a stride's data part
 * added to its base. Where data loads are paid, walks and data loads overlap: a machine with
 * data loads whose fit gives its walks no positive cost has them hidden (1/mlp held at 0, mlp
 * Infinity), and a negative 1/dataMlp or base is held at 0; the rest is refitted (a
 * non-negative least squares).
 */
function fitLinear(fit: ReadonlyArray<{ p: FitPoint; x: CostInputs }>): PartsParams {
  const paid = fit.map(({ x }) => x.dataCycles);
  const based = fit.map(({ x }) => x.pattern !== "random" || x.dataCycles === 0);
  const loading = new Set(fit.filter((_, i) => paid[i] > 0).map(({ p }) => machineOf(p.group)));
  const allGroups = [...new Set(fit.map(({ p }) => p.group))];
  // A base below zero has no meaning (noisy points on which walks explain more than all of
  // the time); `calibrate` wrote such a preset, which machine.costPreset then refused.
  let groups = allGroups.filter((g) => fit.some(({ p }, i) => p.group === g && based[i]));
  // A machine whose points take no walk has no walk cost to fit: its mlp is Infinity as where walks hide.
  const walking = (m: string) => fit.some(({ p, x }) => machineOf(p.group) === m && walkCycles(x) > 0);
  let machines = [...new Set(allGroups.map(machineOf))].filter(walking);
  const hidden = [...new Set(allGroups.map(machineOf))].filter((m) => !walking(m));
  let data = loading.size > 0;
  for (;;) {
    // Columns: one indicator per group, the walk cycles per machine (coefficient 1/mlp), the data cycles (1/dataMlp);
    // each row over its measurement, so that the squares are of relative errors.
    const x = leastSquares(fit.map(({ p, x }, i) => [
      ...groups.map((g) => (g === p.group && based[i] ? 1 : 0)),
      ...machines.map((m) => (m === machineOf(p.group) ? walkCycles(x) : 0)),
      ...(data ? [paid[i]] : []),
    ].map((v) => v / p.measuredTicks)), fit.map(() => 1));
    const inverse = machines.map((_, i) => x[groups.length + i]);
    const perDataCycle = data ? x[groups.length + machines.length] : 0;
    const drop = machines.filter((m, i) => !(inverse[i] > 0) && loading.has(m));
    if (drop.length > 0 || perDataCycle < -1e-12) {
      hidden.push(...drop);
      machines = machines.filter((m) => !drop.includes(m));
      data &&= drop.length > 0 || !(perDataCycle < -1e-12);
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
      dataMlp: perDataCycle > 0 ? 1 / perDataCycle : Infinity,
    };
  }
}

/** The parameters as one vector: each group's base, each machine's 1/mlp, 1/dataMlp. */
interface Layout {
  readonly groups: readonly string[];
  readonly machines: readonly string[];
}

function toVector(params: PartsParams, l: Layout): number[] {
  return [...l.groups.map((g) => params.base[g]), ...l.machines.map((m) => 1 / params.mlp[m]), 1 / params.dataMlp];
}

function fromVector(v: readonly number[], l: Layout): PartsParams {
  const n = l.groups.length;
  return {
    base: Object.fromEntries(l.groups.map((g, i) => [g, v[i]])),
    mlp: Object.fromEntries(l.machines.map((m, i) => [m, 1 / v[n + i]])),
    dataMlp: 1 / v[n + l.machines.length],
  };
}

/** The fitted points' relative errors under the parameters `v`. */
function residuals(fit: ReadonlyArray<{ p: FitPoint; x: CostInputs }>, v: readonly number[], l: Layout): number[] {
  const params = fromVector(v, l);
  return fit.map(({ p, x }) => partsTicks(params, p.group, x) / p.measuredTicks - 1);
}

const squares = (r: readonly number[]) => r.reduce((s, e) => s + e * e, 0);

/**
 * Levenberg-Marquardt from `start` on the fitted points' relative errors, every parameter held
 * at 0 or above: random loads' ticks are not linear in the base and 1/dataMlp (loopTicks).
 */
function refine(fit: ReadonlyArray<{ p: FitPoint; x: CostInputs }>, start: PartsParams, l: Layout): PartsParams {
  let v = toVector(start, l);
  let r = residuals(fit, v, l);
  let lambda = 1e-3;
  for (let step = 0; step < 200 && lambda < 1e12; step++) {
    // Forward differences; a parameter at 0 only moves up.
    const jacobian = v.map((x, k) => {
      const h = 1e-7 * Math.max(Math.abs(x), 1e-3);
      const rh = residuals(fit, v.map((y, j) => (j === k ? y + h : y)), l);
      return rh.map((e, i) => (e - r[i]) / h);
    });
    const jtj = jacobian.map((a) => jacobian.map((b) => a.reduce((s, e, i) => s + e * b[i], 0)));
    const jtr = jacobian.map((a) => a.reduce((s, e, i) => s + e * r[i], 0));
    let delta: number[];
    try {
      delta = solve(jtj.map((row, i) => row.map((e, j) => (i === j ? e * (1 + lambda) + 1e-18 : e))), jtr.map((e) => -e));
    } catch {
      lambda *= 4;
      continue;
    }
    const next = v.map((x, k) => Math.max(0, x + delta[k]));
    const rn = residuals(fit, next, l);
    if (squares(rn) < squares(r)) {
      const done = squares(r) - squares(rn) < 1e-14 * (1 + squares(r));
      [v, r, lambda] = [next, rn, lambda / 3];
      if (done) break;
    } else {
      lambda *= 4;
    }
  }
  return fromVector(v, l);
}

/**
 * Fit a base per group, a 1/mlp per machine and, if some fitted point has a data part, one
 * 1/dataMlp over the points with `inFit`: first linearly, each random point with data loads
 * taken as bound by them alone (fitLinear), then refined on the model as it is (loopTicks).
 */
export function fitParts(points: readonly FitPoint[], inputs: readonly CostInputs[]): PartsParams {
  const fit = points.map((p, i) => ({ p, x: inputs[i] })).filter(({ p }) => p.inFit);
  const start = fitLinear(fit);
  if (!fit.some(({ x }) => x.pattern === "random" && x.dataCycles > 0)) return start;
  return refine(fit, start, { groups: Object.keys(start.base), machines: Object.keys(start.mlp) });
}
