/**
 * Bad command-line input shared by the commands: the error they print as one line with
 * exit status 2, and the checks of options more than one command takes.
 */
import { Option } from "commander";
import { firstRepeated } from "../core/first_repeated.ts";
import { findVariant, variantChoices } from "../kernel/variants/mod.ts";
import { MAX_WORKERS } from "./full_scan_pool.ts";

/** Bad command-line input: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** --variants, checked: known kernel variants, at least one, none named twice. */
export function parseVariants(list: string): string[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError(`Cannot use --variants "${list}": name at least one variant`);
  for (const n of names) {
    if (!findVariant(n)) {
      throw new UsageError(`Cannot use --variants "${list}": "${n}" is not a kernel variant (${variantChoices()})`);
    }
  }
  const repeated = firstRepeated(names);
  if (repeated !== undefined) throw new UsageError(`Cannot use --variants "${list}": "${repeated}" is named twice`);
  return names;
}

/**
 * `text` as a decimal integer (an optional minus sign, then digits, with white space
 * around them allowed), else NaN. Number() alone would read "" and " " as 0, "0x10" as 16
 * and "1e3" as 1000.
 */
export function decimalInteger(text: string): number {
  return /^\s*-?[0-9]+\s*$/.test(text) ? Number(text) : NaN;
}

/** An option each use of which adds its value to a list, empty by default: `shown` in --help. */
export function repeatableOption(flags: string, description: string, shown = "none"): Option {
  return new Option(flags, description).argParser((v: string, prev: string[]) => [...prev, v]).default([] as string[], shown);
}

/** --workers, checked: 0 (this thread) to MAX_WORKERS; undefined when not given. */
export function parseWorkers(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = decimalInteger(text);
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_WORKERS)) {
    throw new UsageError(`--workers must be an integer from 0 (this thread) to ${MAX_WORKERS}, got "${text}"`);
  }
  return n;
}
