/**
 * The error band of a scenario's cost line (cost_model.ts): each published line is solved
 * from its own pair of rows, so its error is measured on the rows it was not fitted to,
 * the paper's other machine. It is the band `compare` prints beside cycles per access and
 * throughput. The parts model (cost_parts.ts) states its own, fitted on more points.
 */
import { accessSeconds, type CostModel, fitCostModel, SEED_ACCESSES, SEED_ROWS, ticksPerAccess, walksPerAccess } from "./cost_model.ts";

/** Largest relative errors of a line on its held-out rows. */
export interface ErrorBand {
  readonly cycles: number;
  readonly throughput: number;
  /** Which rows were held out. */
  readonly heldOut: string;
}

const ROWS = { "bare-metal": SEED_ROWS.bareMetal, "kvm-guest": SEED_ROWS.kvmGuest } as const;

/** The line of cost model `name`, fitted on its own rows. */
export function seedLine(name: keyof typeof ROWS): CostModel {
  return fitCostModel(ROWS[name].without, ROWS[name].with);
}

/** The error band of cost model `name`: its line applied to the other machine's two rows. */
export function lineErrorBand(name: keyof typeof ROWS): ErrorBand {
  const other = name === "bare-metal" ? "kvm-guest" : "bare-metal";
  const model = seedLine(name);
  const rows = [ROWS[other].without, ROWS[other].with];
  const cycles = Math.max(...rows.map((r) => Math.abs(ticksPerAccess(model, walksPerAccess(r)) / r.ticksPerAccess - 1)));
  // Throughput is accesses per wall second; the rows' measured one is N over their total time.
  const throughput = Math.max(...rows.map((r) => Math.abs(r.totalSeconds / accessSeconds(model, SEED_ACCESSES, walksPerAccess(r)) - 1)));
  return { cycles, throughput, heldOut: `the paper's ${other} rows` };
}
