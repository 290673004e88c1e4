/**
 * The sweep file: a YAML (or JSON) grid of runs, checked by one zod schema and then by
 * the kernel's own rules, so that a bad value is refused before any run starts.
 *
 * @example
 * ```yaml
 * scenario: hot1-cold-hot2          # a preset or a scenario file (relative to the sweep file); or a list of them
 * variants: [baseline, lazyfree-skip]
 * tunables:                         # sysfs paths under transparent_hugepage/, a value or a list each
 *   khugepaged/pages_to_scan: [512, 4096]
 * seeds: [1, 2, 3]
 * ```
 */
import { z } from "zod";
import { firstRepeated } from "../core/first_repeated.ts";
import { defaultTunables, TunableError, writeTunable } from "../kernel/tunables.ts";
import { findVariant, variantChoices, type VariantName } from "../kernel/variants/mod.ts";
import { formatPath, quote } from "../scenario/scenario_error.ts";
import { issueMessage } from "../scenario/issue_message.ts";

const SYSFS_PREFIX = "/sys/kernel/mm/transparent_hugepage/";

/** A checked grid: every list non-empty, no value twice, every tunable value one the kernel takes. */
export interface SweepSpec {
  /** Presets or scenario files, as written. */
  scenarios: string[];
  variants: VariantName[];
  /** Each swept tunable, by its path under transparent_hugepage/, with its values; sorted by path. */
  tunables: Array<[path: string, values: Array<string | number>]>;
  seeds: number[];
}

/** A sweep file that cannot be loaded: `Cannot load sweep "grid.yaml": seeds[2] must be …`. */
export class SweepSpecError extends Error {
  /** Path of the field at fault (`tunables["khugepaged/pages_to_scan"][1]`); "" for the whole file. */
  readonly path: string;

  constructor(source: string, path: string, reason: string) {
    super(`Cannot load sweep "${source}": ${path === "" ? reason : `${path} ${reason}`}`);
    this.name = "SweepSpecError";
    this.path = path;
  }
}

const value = z.union([z.string(), z.number()]);
const list = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const SweepSchema = z.strictObject({
  scenario: list(z.string().min(1)),
  variants: list(z.string().min(1)),
  tunables: z.record(z.string(), list(value)).default({}),
  seeds: list(z.number().int().min(0).max(0xffffffff)),
});

const REQUIRED = [
  ["scenario", "a preset or scenario file, or a list of them"],
  ["variants", "a kernel variant or a list of them"],
  ["seeds", "a seed or a list of them"],
] as const;

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Check the data of a sweep file (`source` names it in errors). */
export function validateSweepSpec(data: unknown, source: string): SweepSpec {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new SweepSpecError(source, "", `must be an object with scenario, variants and seeds, got ${quote(data)}`);
  }
  // zod would call a missing list "a string or a number, got nothing".
  const missing = REQUIRED.find(([key]) => !(key in data));
  if (missing) throw new SweepSpecError(source, missing[0], `is missing: give ${missing[1]}`);
  const parsed = SweepSchema.safeParse(data, { error: issueMessage });
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    const path = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]] : iss.path;
    throw new SweepSpecError(source, formatPath(path), iss.message);
  }
  const fail = (path: Array<string | number>, reason: string): never => {
    throw new SweepSpecError(source, formatPath(path), reason);
  };
  // A value named twice would give two runs one key.
  const once = <T>(field: Array<string | number>, values: T[]): T[] => {
    const twice = firstRepeated(values);
    if (twice !== undefined) fail(field, `names ${quote(twice)} twice`);
    return values;
  };
  const s = parsed.data;
  const scenarios = once(["scenario"], asList(s.scenario));
  const variants = once(["variants"], asList(s.variants));
  variants.forEach((v, i) => {
    if (!findVariant(v)) fail(["variants", i], `must be one of ${variantChoices()}, got ${quote(v)}`);
  });
  const tunables: SweepSpec["tunables"] = [];
  for (const [key, given] of Object.entries(s.tunables)) {
    const path = key.startsWith(SYSFS_PREFIX) ? key.slice(SYSFS_PREFIX.length) : key;
    if (tunables.some(([p]) => p === path)) fail(["tunables", key], `names transparent_hugepage/${path} a second time`);
    const values = once(["tunables", key], asList(given));
    values.forEach((v, i) => {
      try {
        writeTunable(defaultTunables(), path, v);
      } catch (err) {
        if (!(err instanceof TunableError)) throw err;
        if (err.errno === "ENOENT") {
          fail(["tunables", key], `is not a tunable under ${SYSFS_PREFIX} (write paths such as "khugepaged/max_ptes_none")`);
        }
        fail(["tunables", key, ...(Array.isArray(given) ? [i] : [])],
          `was refused by the kernel (${err.message.replace(/^Cannot write [^:]*: /, "")})`);
      }
    });
    tunables.push([path, values]);
  }
  tunables.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Every name was found above, so each is a VariantName.
  return { scenarios, variants: variants as VariantName[], tunables, seeds: once(["seeds"], asList(s.seeds)) };
}
