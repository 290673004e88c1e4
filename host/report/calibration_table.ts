/** The parts cost model's calibration as text: its parameters, then every point measured against predicted. */
import type { Calibration } from "../tlb/cost_calibration.ts";
import { columns } from "./format.ts";

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} %`;

/** `title`, the fitted parameters and held-out error, and one row per point. */
export function formatCalibration(title: string, c: Calibration): string {
  const bases = Object.entries(c.params.base).map(([g, b]) => `${g} ${b.toFixed(2)}`).join(", ");
  const mlps = Object.entries(c.params.mlp).map(([m, v]) => `${m} ${v.toFixed(2)}`).join(", ");
  const head = `${title}: mlp ${mlps}, dataMlp ${c.params.dataMlp.toFixed(2)}, L3 found ${(c.l3EffectiveBytes / (1 << 20)).toFixed(1)} MiB (a page stride's lines ${(100 * c.strideL3SetShare).toFixed(0)} % of its sets), base ticks ${bases}; held-out error ±${(100 * c.heldOutError).toFixed(1)} %`;
  return `${head}\n${columns([
    ["point", "", "walks/access", "refs/walk", "data cycles", "measured", "predicted", "error"],
    ...c.rows.map((r) => [
      r.label, r.inFit ? "fitted" : "held out", r.inputs.walksPerAccess.toFixed(3), r.inputs.refsPerWalk.toFixed(2), r.inputs.dataCycles.toFixed(2),
      r.measuredTicks.toFixed(2), r.predictedTicks.toFixed(2), pct(r.error),
    ]),
  ])}\n`;
}
