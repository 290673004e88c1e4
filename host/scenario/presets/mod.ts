/** The scenarios shipped with khugesim, by name. */
import { stringify } from "yaml";
import type { ScenarioInput } from "../scenario_schema.ts";
import { hot1ColdHot2 } from "./hot1_cold_hot2.ts";
import { hot1Hot2 } from "./hot1_hot2.ts";
import { mthpCreep } from "./mthp_creep.ts";
import { SCAN_RESULT_PRESETS } from "./scan_results.ts";
import { synthetic1TiB } from "./synthetic_1tib.ts";

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly scenario: ScenarioInput;
  /** For a scan-result preset: the trace status its last scanned PMD ends with. */
  readonly scanResult?: string;
}

/** `value` and everything it holds, frozen. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Every preset, the seed experiment first; frozen, since every caller shares them. */
export const PRESETS: readonly Preset[] = deepFreeze([
  ...[hot1ColdHot2, hot1Hot2, synthetic1TiB, mthpCreep].map((s) => ({ name: s.name, description: s.description ?? "", scenario: s })),
  ...SCAN_RESULT_PRESETS.map((p) => ({
    name: p.scenario.name, description: p.scenario.description ?? "", scenario: p.scenario, scanResult: p.result,
  })),
]);

/**
 * Preset `p` as a YAML scenario file to start one's own from, written out in full: with
 * the tasks sharing one list through a YAML alias, editing one would change them all.
 */
export function presetYaml(p: Preset): string {
  return stringify(p.scenario, { lineWidth: 120, aliasDuplicateObjects: false });
}

/** The preset named `name`, or undefined. */
export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
