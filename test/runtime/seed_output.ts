/**
 * What every runtime of the matrix prints for the seed experiment: the `--json` line of
 * `khugesim compare hot1-cold-hot2` and the SHA-256 of the whole comparison (time
 * series and traces included), so that one string comparison checks both.
 */
import { type CompareResult, compareScenario, comparisonJson, type Engine, loadPreset } from "../../host/mod.ts";

/** The preset every runtime runs: the seed experiment, both variants, in full. */
export const SEED_PRESET = "hot1-cold-hot2";

/** Run the seed preset on `engine` and return the comparison. */
export function runSeed(engine: Engine): Promise<CompareResult> {
  return compareScenario(loadPreset(SEED_PRESET), engine);
}

/** The comparison's JSON line, then a line with the SHA-256 of everything it holds. */
export async function seedOutput(c: CompareResult): Promise<string> {
  const full = new TextEncoder().encode(JSON.stringify(c));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", full));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${comparisonJson(c)}${JSON.stringify({ fullSha256: hex })}\n`;
}
