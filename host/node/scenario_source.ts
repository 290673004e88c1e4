/** Scenario sources in Node: a JSON or YAML file, and the CLI's SCENARIO argument (a file or a shipped preset's name). */
import { readFile, stat } from "node:fs/promises";
import { loadPreset, parseScenarioText, PRESETS, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { findPreset } from "../scenario/presets/mod.ts";

/** Read and check the scenario file at `path`; its errors quote it as `name`. */
export async function readScenarioFile(path: string, name: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ScenarioError(name, "", `cannot be read: ${reason}`, { cause: err });
  }
  return parseScenarioText(text, name);
}

/** Load `arg`: an existing file is read; otherwise a preset of that name. */
export async function loadScenarioArg(arg: string): Promise<Scenario> {
  const info = await stat(arg).catch(() => null);
  if (info?.isDirectory()) throw new ScenarioError(arg, "", "is a directory, not a scenario file");
  if (info) return readScenarioFile(arg, arg);
  if (findPreset(arg)) return loadPreset(arg);
  const names = PRESETS.map((p) => p.name).join(", ");
  if (/[/\\]|\.(json|ya?ml)$/i.test(arg)) throw new ScenarioError(arg, "", `no such file (and no preset of that name: ${names})`);
  throw new ScenarioError(arg, "", `is neither a file nor a preset (presets: ${names})`);
}
