/**
 * The error of a scenario that cannot be loaded or run, with the path of the field at
 * fault: `Cannot load scenario "x.yaml": tasks[1].vmas[0].size must be a multiple of
 * 4096, got 5000`.
 */

/** A field path as the scenario file spells it: `tasks[1].vmas[0].size`, `tunables["khugepaged/max_ptes_none"]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** A value quoted for a message: strings in double quotes, the rest as JSON. */
export function quote(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return "a list";
  return "an object";
}

/** A scenario that cannot be loaded (bad input) or run (a step the kernel refuses). */
export class ScenarioError extends Error {
  /** The scenario's file name or preset name. */
  readonly source: string;
  /** Path of the field at fault (`tasks[1].vmas[0].size`); "" when the whole file is at fault. */
  readonly path: string;
  /** The reason, without the "Cannot load scenario" prefix. */
  readonly reason: string;

  constructor(source: string, path: string, reason: string, options: { verb?: "load" | "run"; cause?: unknown } = {}) {
    const at = path === "" ? reason : `${path} ${reason}`;
    super(`Cannot ${options.verb ?? "load"} scenario "${source}": ${at}`, { cause: options.cause });
    this.name = "ScenarioError";
    this.source = source;
    this.path = path;
    this.reason = reason;
  }
}
