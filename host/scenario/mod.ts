/** Scenario files and presets: the schema, loading with field-path errors, and the shipped presets. */
export { formatByteSize, parseByteSize } from "../core/byte_size.ts";
export { parseScenarioText, validateScenario } from "./load_scenario.ts";
export { findPreset, type Preset, PRESETS, presetYaml } from "./presets/mod.ts";
export { ScenarioError } from "./scenario_error.ts";
export type {
  AccessStep, Advice, PatternSpec, RangeSpec, Scenario, ScenarioInput, Step, TaskSpec, VmaFlag, VmaSpec,
} from "./scenario_schema.ts";

import { validateScenario } from "./load_scenario.ts";
import { findPreset, PRESETS } from "./presets/mod.ts";
import { ScenarioError } from "./scenario_error.ts";
import type { Scenario } from "./scenario_schema.ts";

/** The checked scenario of preset `name`; throws ScenarioError naming the presets if there is none. */
export function loadPreset(name: string): Scenario {
  const p = findPreset(name);
  if (!p) throw new ScenarioError(name, "", `is not a preset (presets: ${PRESETS.map((q) => q.name).join(", ")})`);
  return validateScenario(structuredClone(p.scenario), name);
}
