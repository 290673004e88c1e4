/**
 * zod's issues in khugesim's words ("must be …, got …"), for every schema whose errors the
 * user reads (the scenario file, sweep grids); the caller adds the field's path.
 */
import type { z } from "zod";
import { quote } from "./scenario_error.ts";

const ARTICLES: Readonly<Record<string, string>> = {
  string: "a string", number: "a number", int: "a whole number", boolean: "true or false", array: "a list",
  object: "an object", record: "an object",
};

function describeLimit(origin: string, kind: "min" | "max", limit: unknown, inclusive: boolean | undefined): string {
  if (origin === "array") return kind === "min" ? `must have at least ${limit} item${limit === 1 ? "" : "s"}` : `must have at most ${limit} items`;
  if (origin === "string") return kind === "min" ? "must not be empty" : `must be at most ${limit} characters`;
  if (kind === "min") return inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
  return inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
}

/**
 * The message of a zod issue in khugesim's style ("must be …, got …"); the path is
 * added by the caller.
 */
export function issueMessage(iss: z.core.$ZodRawIssue): string {
  const got = `, got ${quote(iss.input)}`;
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return "is required";
      if (iss.expected === "number" && typeof iss.input === "number") return `must be a finite number${got}`;
      return `must be ${ARTICLES[iss.expected] ?? iss.expected}${got}`;
    case "invalid_value":
      return iss.values.length === 1 ? `must be ${quote(iss.values[0])}${got}` : `must be one of ${iss.values.join(", ")}${got}`;
    case "invalid_union": {
      const u = iss as unknown as { discriminator?: string; options?: unknown[] };
      if (u.discriminator) {
        const v = (iss.input as Record<string, unknown> | undefined)?.[u.discriminator];
        const options = (u.options ?? []).join(", ");
        return v === undefined ? `is required: one of ${options}` : `must be one of ${options}, got ${quote(v)}`;
      }
      return `must be ${typeof iss.input === "number" ? "a string" : "a string or a number"}${got}`;
    }
    case "too_small":
      return describeLimit(iss.origin, "min", iss.minimum, iss.inclusive) + (iss.origin === "number" ? got : "");
    case "too_big":
      return describeLimit(iss.origin, "max", iss.maximum, iss.inclusive) + (iss.origin === "number" ? got : "");
    case "not_multiple_of":
      return `must be a multiple of ${iss.divisor}${got}`;
    case "unrecognized_keys":
      return "is not a known field";
    default:
      return iss.message ?? "is invalid";
  }
}
