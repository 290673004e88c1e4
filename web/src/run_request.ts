/**
 * The form's contents as a run: the scenario text checked, then the chosen variants
 * and tunables written over it and checked again, so that every error is the one-line
 * ScenarioError the CLI prints for the same content in a file, with the field it names.
 */
import { type Scenario, ScenarioError, parseScenarioText, validateScenario } from "../../host/mod.ts";

export interface RunRequest {
  /** Scenario text, YAML or JSON. */
  text: string;
  /** The name errors quote: a file name (its extension picks the format) or a preset's. */
  source: string;
  /** Variants to run, the reference first. */
  variants: string[];
  /** sysfs writes (paths under transparent_hugepage/) applied after the scenario's own. */
  tunables: Record<string, string | number>;
}

/** Where an error is shown: next to the scenario text, the variants, a tunable, or in the status line. */
export type ErrorField = "scenario" | "variants" | { tunable: string } | "run";

export type Checked = { ok: true; scenario: Scenario } | { ok: false; field: ErrorField; message: string };

/** Which part of the form an error of the merged scenario belongs to. */
function fieldOf(err: ScenarioError): ErrorField {
  if (err.path.startsWith("variants")) return "variants";
  const tunable = /^tunables\["(.+)"\]$/.exec(err.path) ?? /^tunables\.(.+)$/.exec(err.path);
  if (tunable) return { tunable: tunable[1] };
  return "scenario";
}

/** Parse and check scenario text on its own (the scenario field's check). */
export function checkScenarioText(text: string, source: string): Checked {
  try {
    return { ok: true, scenario: parseScenarioText(text, source) };
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, field: "scenario", message: err.message };
    throw err;
  }
}

/**
 * Check a request; the scenario it returns is the one the worker runs. `base` is the
 * check of its text when the caller has made it already.
 */
export function checkRunRequest(r: RunRequest, base: Checked = checkScenarioText(r.text, r.source)): Checked {
  if (!base.ok) return base;
  if (r.variants.length === 0) {
    return { ok: false, field: "variants", message: `Cannot run scenario "${r.source}": choose at least one variant` };
  }
  const merged = { ...base.scenario, variants: r.variants, tunables: { ...base.scenario.tunables, ...r.tunables } };
  try {
    return { ok: true, scenario: validateScenario(merged, r.source) };
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, field: fieldOf(err), message: err.message };
    throw err;
  }
}
