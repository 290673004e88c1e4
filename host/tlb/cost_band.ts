/**
 * The error band of a scenario's cost model, measured on the paper's rows it was not fitted
 * to: each published line (cost_model.ts) is solved from its own machine's pair, so it is
 * checked on the other machine's; the parts line (cost_parts.ts) is fitted on the two
 * "without" rows and checked on the two "with" rows. It is the band `compare` prints beside
 * cycles per access and throughput.
 */
import { accessSeconds, type CostModel, fitCostModel, SEED_ACCESSES, SEED_ROWS, type SeedRow, ticksPerAccess, walksPerAccess } from "./cost_model.ts";
import { partsLine } from "./cost_parts.ts";
import type { ErrorBand } from "./cost_presets.ts";
import { virtualizationOf } from "./virtualization.ts";

/** A scenario's `costModel`. */
export type CostModelName = "bare-metal" | "kvm-guest" | "zen5-parts";

export type { ErrorBand };

const BARE = SEED_ROWS.bareMetal;
const GUEST = SEED_ROWS.kvmGuest;

/** The published line of `name`, fitted on its own rows. */
export function seedLine(name: "bare-metal" | "kvm-guest"): CostModel {
  const rows = name === "bare-metal" ? BARE : GUEST;
  return fitCostModel(rows.without, rows.with);
}

/** Each held-out row of cost model `name` with the line that predicts it. */
function heldOutRows(name: CostModelName): { rows: Array<[SeedRow, CostModel]>; heldOut: string } {
  if (name === "zen5-parts") {
    return {
      rows: [[BARE.with, partsLine(virtualizationOf("none"))], [GUEST.with, partsLine(virtualizationOf("nested-2m"))]],
      heldOut: "the paper's two \"with\" rows",
    };
  }
  const other = name === "bare-metal" ? GUEST : BARE;
  const line = seedLine(name);
  return { rows: [[other.without, line], [other.with, line]], heldOut: `the paper's ${name === "bare-metal" ? "kvm-guest" : "bare-metal"} rows` };
}

/** The error band of cost model `name`. */
export function lineErrorBand(name: CostModelName): ErrorBand {
  const { rows, heldOut } = heldOutRows(name);
  const cycles = Math.max(...rows.map(([r, m]) => Math.abs(ticksPerAccess(m, walksPerAccess(r)) / r.ticksPerAccess - 1)));
  // Throughput is accesses per wall second; the row's measured one is N over its total time.
  const throughput = Math.max(...rows.map(([r, m]) => Math.abs(r.totalSeconds / accessSeconds(m, SEED_ACCESSES, walksPerAccess(r)) - 1)));
  return { cycles, throughput, heldOut };
}
