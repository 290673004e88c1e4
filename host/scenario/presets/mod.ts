/** The scenarios shipped with khugesim, by name. */
import type { ScenarioInput } from "../scenario_schema.ts";
import { hot1ColdHot2 } from "./hot1_cold_hot2.ts";
import { hot1Hot2 } from "./hot1_hot2.ts";
import { SCAN_RESULT_PRESETS } from "./scan_results.ts";
import { synthetic1TiB } from "./synthetic_1tib.ts";

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly scenario: ScenarioInput;
  /** For a scan-result preset: the trace status its last scanned PMD ends with. */
  readonly scanResult?: string;
}

/** Every preset, the seed experiment first. */
export const PRESETS: readonly Preset[] = [
  ...[hot1ColdHot2, hot1Hot2, synthetic1TiB].map((s) => ({ name: s.name, description: s.description ?? "", scenario: s })),
  ...SCAN_RESULT_PRESETS.map((p) => ({
    name: p.scenario.name, description: p.scenario.description ?? "", scenario: p.scenario, scanResult: p.result,
  })),
];

/** The preset named `name`, or undefined. */
export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
