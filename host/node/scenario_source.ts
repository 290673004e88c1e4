/** The SCENARIO argument of the CLI: a JSON or YAML file, or the name of a shipped preset. */
import { readFile, stat } from "node:fs/promises";
import { loadPreset, parseScenarioText, PRESETS, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { findPreset } from "../scenario/presets/mod.ts";

/** Load `arg`: an existing file is read; otherwise a preset of that name. */
export async function loadScenarioArg(arg: string): Promise<Scenario> {
  const info = await stat(arg).catch(() => null);
  if (info?.isDirectory()) throw new ScenarioError(arg, "", "is a directory, not a scenario file");
  if (info) {
    let text: string;
    try {
      text = await readFile(arg, "utf8");
    } catch (err) {
      throw new ScenarioError(arg, "", `cannot be read: ${(err as Error).message}`);
    }
    return parseScenarioText(text, arg);
  }
  if (findPreset(arg)) return loadPreset(arg);
  const names = PRESETS.map((p) => p.name).join(", ");
  if (/[/\\]|\.(json|ya?ml)$/i.test(arg)) throw new ScenarioError(arg, "", `no such file (and no preset of that name: ${names})`);
  throw new ScenarioError(arg, "", `is neither a file nor a preset (presets: ${names})`);
}
