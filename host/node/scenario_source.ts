/**
 * Scenario sources in Node: a JSON or YAML file, and the CLI's SCENARIO argument (a file or a
 * shipped preset's name); and other JSON or YAML input files, such as a map description or
 * the cost preset file a scenario's `machine.costPreset` names (`khugesim calibrate --out`).
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { checkCostPreset, isPresetFileName } from "../scenario/cost_preset_schema.ts";
import { formatPath } from "../scenario/scenario_error.ts";
import { loadPreset, parseScenarioText, PRESETS, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { parseDataText } from "../scenario/data_text.ts";
import { findPreset } from "../scenario/presets/mod.ts";
import { snapshotScenario, withImport } from "./scenario_import.ts";
import { isSnapshotFile } from "./snapshot_file.ts";

/** An input file other than a scenario that cannot be loaded: `Cannot load map description "x.yaml": …`. */
export class InputFileError extends Error {
  constructor(what: string, source: string, reason: string, options?: ErrorOptions) {
    super(`Cannot load ${what} "${source}": ${reason}`, options);
    this.name = "InputFileError";
  }
}

/** The text of the file at `path`; otherwise `fail`'s error, given the reason in a few words. */
async function readText(path: string, fail: (reason: string, cause: unknown) => Error): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (err as Error).message;
    throw fail(`cannot be read: ${reason}`, err);
  }
}

/** Read and check the scenario file at `path`; its errors quote it as `name`. */
export async function readScenarioFile(path: string, name: string): Promise<Scenario> {
  const text = await readText(path, (reason, cause) => new ScenarioError(name, "", reason, { cause }));
  return withCostPreset(parseScenarioText(text, name), name, path);
}

/** Everything on standard input, as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** What loadScenarioArg() takes, as the commands' --help says it. */
export const SCENARIO_ARGUMENT = "a JSON or YAML scenario file, - for standard input, a preset name, or a snapshot file (khugesim capture)";

/**
 * Load `arg`: `-` reads standard input; an existing file is read (a snapshot file becomes
 * a scenario that imports it); otherwise a preset of that name. A scenario's `import:` file is read too.
 */
export async function loadScenarioArg(arg: string): Promise<Scenario> {
  if (arg === "-") return withImport(await withCostPreset(parseScenarioText(await readStdin(), "-"), "-", undefined), "-", undefined);
  const info = await stat(arg).catch(() => null);
  if (info?.isDirectory()) throw new ScenarioError(arg, "", "is a directory, not a scenario file");
  if (info && await isSnapshotFile(arg)) return snapshotScenario(arg);
  if (info) return withImport(await readScenarioFile(arg, arg), arg, arg);
  if (findPreset(arg)) return loadPreset(arg);
  const names = PRESETS.map((p) => p.name).join(", ");
  if (/[/\\]|\.(json|ya?ml)$/i.test(arg)) throw new ScenarioError(arg, "", `no such file (and no preset of that name: ${names})`);
  throw new ScenarioError(arg, "", `is neither a file nor a preset (presets: ${names})`);
}

/**
 * The data in the JSON (a .json name) or YAML file at `path`. It cannot be read or parsed:
 * one-line InputFileError naming it as `what`, with the line and column when the parser gives them.
 */
export async function readDataFile(path: string, what: string): Promise<unknown> {
  const fail = (reason: string, cause?: unknown) => new InputFileError(what, path, reason, { cause });
  const parsed = parseDataText(await readText(path, fail), /\.json$/i.test(path));
  if ("malformed" in parsed) throw fail(parsed.malformed);
  return parsed.data;
}

/**
 * `scenario` with the preset file its `machine.costPreset` names read (relative to the
 * scenario file's folder; `scenarioPath` undefined: the working folder) and checked in place
 * of the name. Failures are one ScenarioError naming the field, the file and the reason.
 */
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
