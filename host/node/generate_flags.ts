/** The options of `khugesim generate` as commander hands them over, and how an integer among them reads. */
import { decimalInteger } from "./usage.ts";

/** The flags given to `generate`; every value is the text typed, checked where it is used. */
export interface GenerateFlags {
  spec?: string;
  preset?: string;
  size?: string;
  tasks?: string;
  seed?: string;
  vmaSize?: string;
  population?: string;
  fractions?: string;
  sparseNone?: string;
  variety?: string;
  pfns?: "class" | "pmd";
  dedup: boolean;
  madvHugepage?: boolean;
  enabled?: "always" | "madvise" | "never";
  scan?: boolean;
  variants?: string;
  sweep: string[];
  workers?: string;
  engine?: "wasm" | "ts";
  json?: boolean;
}

/** A flag's integer: decimal digits only ("0x10", "1e3" and "" are refused, naming the flag). */
export function integer(text: string, option: string): number {
  const n = decimalInteger(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${option} must be an integer, got "${text}"`);
  return n;
}
