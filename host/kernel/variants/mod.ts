/** The registry of kernel variants. */
import type { Variant } from "../variant.ts";
import { baseline } from "./baseline.ts";
import { lazyfreeKeep } from "./lazyfree_keep.ts";
import { lazyfreeSkip } from "./lazyfree_skip.ts";

export const VARIANTS: ReadonlyMap<string, Variant> = new Map(
  [baseline, lazyfreeSkip, lazyfreeKeep].map((v) => [v.name, v]),
);

/** Look up a variant by name; throws a RangeError listing the known ones. */
export function getVariant(name: string): Variant {
  const v = VARIANTS.get(name);
  if (!v) throw new RangeError(`Unknown kernel variant "${name}": expected one of ${[...VARIANTS.keys()].join(", ")}`);
  return v;
}

export { baseline, lazyfreeKeep, lazyfreeSkip };
