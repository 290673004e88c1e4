/** The same scenario under several kernel variants, one after another on one engine. */
import { firstRepeated } from "../core/first_repeated.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import type { Engine } from "./engine.ts";
import type { RunResult } from "./result.ts";
import { type RunOptions, runScenario } from "./runner.ts";

export interface CompareOptions extends Omit<RunOptions, "variant"> {
  /** Variants to run, the reference first; default: the scenario's. */
  variants?: string[];
}

export interface CompareResult {
  scenario: string;
  variants: string[];
  results: RunResult[];
}

/**
 * Run `scenario` under each variant (the first is the reference the deltas are taken
 * from), reporting every run's events to `options.onEvent`. Each run's core memory is freed once its result is read, so every variant has
 * the engine's whole memory: a large generated map fits the second run as it did the first.
 */
export async function compareScenario(scenario: Scenario, engine: Engine, options: CompareOptions = {}): Promise<CompareResult> {
  const variants = options.variants ?? scenario.variants;
  // Results are keyed by variant name: each must be there once.
  if (variants.length === 0) throw new RangeError(`Cannot compare "${scenario.name}": name at least one variant`);
  const twice = firstRepeated(variants);
  if (twice !== undefined) throw new RangeError(`Cannot compare "${scenario.name}": variant "${twice}" is named twice`);
  const results: RunResult[] = [];
  const mark = engine.memory.usedBytes;
  for (const variant of variants) {
    try {
      results.push(await runScenario(scenario, engine, { ...options, variant }));
    } finally {
      engine.memory.rewind(mark);
    }
  }
  return { scenario: scenario.name, variants, results };
}
