/**
 * `generate`'s map description: the --spec file's fields with the flags given laid over
 * them, and parseSynthSpec's refusals reworded to name the flag or file that gave the field.
 */
import { fixesText, SynthRefusal } from "../synth/plan.ts";
import type { SynthSpecInput } from "../synth/spec.ts";
import { type GenerateFlags, integer } from "./generate_flags.ts";
import { InputFileError, readDataFile } from "./scenario_source.ts";

/** "a=1,b=0.5" → {a: 1, b: 0.5}. */
function keyValues(text: string, option: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = /^([a-z_]+)=(.*)$/.exec(part);
    if (!m) throw new RangeError(`${option} must be key=value pairs separated by commas, got "${part}"`);
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i.test(m[2])) {
      throw new RangeError(`${option}: ${m[1]} must be a non-negative decimal number, got "${m[2]}"`);
    }
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** "fixed:1GiB", "uniform:4MiB-64MiB" or "lognormal:64MiB,1.5" → a VMA size distribution. */
function vmaSize(text: string): SynthSpecInput["vmaSize"] {
  const [dist, arg = ""] = text.split(":", 2);
  if (dist === "fixed") return { dist, size: arg };
  if (dist === "uniform") {
    const [min, max] = arg.split("-");
    return { dist, min, max };
  }
  if (dist === "lognormal") {
    const [median, sigma] = arg.split(",");
    return { dist, median, sigma: sigma === undefined ? 1 : Number(sigma) };
  }
  throw new RangeError(`--vma-size must be fixed:SIZE, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA, got "${text}"`);
}

/** --spec's file: an object of map description fields. */
async function specFile(path: string): Promise<Record<string, unknown>> {
  const data = await readDataFile(path, "map description");
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InputFileError("map description", path, "must hold an object of map description fields");
  }
  return data as Record<string, unknown>;
}

/** The flag that gives each field of the map description. */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  preset: "--preset", size: "--size", tasks: "--tasks", seed: "--seed", vmaSize: "--vma-size",
  population: "--population", fractions: "--fractions", sparseNone: "--sparse-none", variety: "--variety",
  pfns: "--pfns", dedup: "--no-dedup", madvHugepage: "--madv-hugepage",
};

/** The map description and the fields its flags gave ("size", or "fractions.huge": fractions merge). */
export interface SpecSource {
  input: SynthSpecInput;
  flagged: string[];
}

/** The map description: --spec's file, then the flags given on top. */
export async function specInput(f: GenerateFlags): Promise<SpecSource> {
  const s: SynthSpecInput = f.spec === undefined ? {} : { ...(await specFile(f.spec)) };
  const flagged: string[] = [];
  const set = <K extends keyof SynthSpecInput>(field: K, value: SynthSpecInput[K]): void => {
    s[field] = value;
    flagged.push(field);
  };
  if (f.preset !== undefined) set("preset", f.preset);
  if (f.size !== undefined) set("size", f.size);
  if (f.tasks !== undefined) set("tasks", integer(f.tasks, "--tasks"));
  if (f.seed !== undefined) set("seed", integer(f.seed, "--seed"));
  if (f.vmaSize !== undefined) set("vmaSize", vmaSize(f.vmaSize));
  if (f.population !== undefined) set("population", keyValues(f.population, "--population"));
  if (f.fractions !== undefined) {
    const given = keyValues(f.fractions, "--fractions");
    s.fractions = { ...s.fractions, ...given };
    flagged.push(...Object.keys(given).map((k) => `fractions.${k}`));
  }
  if (f.sparseNone !== undefined) set("sparseNone", integer(f.sparseNone, "--sparse-none"));
  if (f.variety !== undefined) set("variety", f.variety === "unique" ? "unique" : integer(f.variety, "--variety"));
  if (f.pfns !== undefined) set("pfns", f.pfns);
  if (!f.dedup) set("dedup", false);
  if (f.madvHugepage) set("madvHugepage", true);
  return { input: s, flagged };
}

/**
 * parseSynthSpec's message, whose field paths read "generate.size", naming where the
 * field came from instead: the flag that gave it, else the --spec file.
 */
export function specMessage(message: string, source: SpecSource, file: string | undefined): string {
  const m = /^generate\.(\S+) (.*)$/s.exec(message);
  if (!m) return message.replaceAll("generate.", "");
  const field = m[1];
  const rest = m[2].replaceAll("generate.", "");
  // A flag's field, a field inside it, or (for the fractions' sum) the field holding it;
  // a message about two fields (size and tasks) goes to the first a flag gave.
  const related = (f: string, g: string) => g === f || f.startsWith(`${g}.`) || g.startsWith(`${f}.`);
  const mentioned = [field, ...[...m[2].matchAll(/generate\.([\w.]*\w)/g)].map((x) => x[1])];
  const flag = mentioned.map((f) => source.flagged.find((g) => related(f, g))).find((g) => g !== undefined);
  if (flag !== undefined) {
    const top = flag.split(".")[0];
    if (field === top) return `${FIELD_FLAGS[top]} ${rest}`;
    if (!field.startsWith(`${top}.`)) return `${FIELD_FLAGS[top]}: ${field} ${rest}`;
    // Inside a flag's value its fields go by their own names: "max must be at least min".
    return `${FIELD_FLAGS[top]}: ${field.slice(top.length + 1)} ${rest.replaceAll(`${top}.`, "")}`;
  }
  return file === undefined ? `${field} ${rest}` : new InputFileError("map description", file, `${field} ${rest}`).message;
}

/** The flag that gives a map description field ("fractions.huge": "--fractions huge"). */
function flagOf(field: string): string {
  const [top, sub] = field.split(".", 2);
  return sub === undefined ? FIELD_FLAGS[top] : `${FIELD_FLAGS[top]} ${sub}`;
}

/** A refused map's message with the flags to change: "…; lower --size or raise --tasks". */
export function refusalWithFlags(err: RangeError): string {
  if (!(err instanceof SynthRefusal) || err.fixes.length === 0) return err.message;
  // --no-dedup is the only way to set dedup: the fix is to leave it out.
  const set = (field: string, to: string | number | boolean) => (field === "dedup" ? "leave out --no-dedup" : `use ${flagOf(field)} ${to}`);
  return `${err.message}; ${fixesText(err.fixes, flagOf, set)}`;
}
