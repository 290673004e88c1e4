/**
 * A scenario's `machine.costPreset` naming a preset file (`khugesim calibrate --out`): read
 * relative to the scenario file's folder and checked, in place of the name. Failures are one
 * ScenarioError naming the field, the file and the reason.
 */
import { dirname, resolve } from "node:path";
import { checkCostPreset, isPresetFileName } from "../scenario/cost_preset_schema.ts";
import { type Scenario, ScenarioError } from "../scenario/mod.ts";
import { formatPath } from "../scenario/scenario_error.ts";
import { InputFileError, readDataFile } from "./scenario_source.ts";

/** `scenario` with its preset file read; `scenarioPath` undefined: relative to the working folder. */
export async function withCostPreset(scenario: Scenario, source: string, scenarioPath: string | undefined): Promise<Scenario> {
  const name = scenario.machine.costPreset;
  if (typeof name !== "string" || !isPresetFileName(name)) return scenario;
  const path = resolve(scenarioPath === undefined ? "." : dirname(scenarioPath), name);
  let data: unknown;
  try {
    data = await readDataFile(path, "cost preset");
  } catch (err) {
    if (err instanceof InputFileError) throw new ScenarioError(source, "machine.costPreset", err.message.replace(/^Cannot load /, "cannot load "), { cause: err });
    throw err;
  }
  const machine = { ...scenario.machine, costPreset: data as Scenario["machine"]["costPreset"] };
  checkCostPreset(machine, (p, reason) => {
    if (p[1] !== "costPreset") throw new ScenarioError(source, formatPath(p), reason);
    const inner = formatPath(p.slice(2));
    throw new ScenarioError(source, "machine.costPreset", `${JSON.stringify(name)}: ${inner === "" ? "" : `${inner} `}${reason}`);
  });
  return { ...scenario, machine };
}
