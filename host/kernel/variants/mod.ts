/**
 * The registry of kernel variants: the kernel versions, the policies, and the named
 * variants scenarios use. Any `VERSION` or `VERSION+POLICY[+POLICY…]` (e.g. "6.18",
 * "7.1+lazyfree-keep") names a variant; `baseline`, `lazyfree-skip` and `lazyfree-keep`
 * are the names the seed experiment and its outputs use.
 */
import { type KernelVersion, type Policy, type Variant, withPolicies } from "../variant.ts";
import { lazyfreeKeep } from "../policies/lazyfree_keep.ts";
import { lazyfreeSkip } from "../policies/lazyfree_skip.ts";
import { mthpScaled } from "../policies/mthp_scaled.ts";
import { linux618 } from "../versions/linux_6_18.ts";
import { linux71 } from "../versions/linux_7_1.ts";
import { linux72 } from "../versions/linux_7_2.ts";

/** The numbers of the kernel versions, as VERSIONS holds them. */
export type KernelVersionName = "6.18" | "7.1" | "7.2";
/** The names of the policies, as POLICIES holds them. */
export type PolicyName = "lazyfree-skip" | "lazyfree-keep" | "mthp-scaled";
/**
 * Every name `getVariant` takes: a named variant, a version, or a version with policies
 * (no policy twice, which findVariant refuses too). A typo is a compile error.
 */
export type VariantName = "baseline" | "lazyfree-skip" | "lazyfree-keep" | KernelVersionName |
  `${KernelVersionName}+${PolicyName}` | `${KernelVersionName}+lazyfree-skip+lazyfree-keep` |
  `${KernelVersionName}+lazyfree-keep+lazyfree-skip`;

/** Kernel versions by number, oldest first. */
export const VERSIONS: ReadonlyMap<string, KernelVersion> = new Map([linux618, linux71, linux72].map((v) => [v.version, v]));

/** Policies by name. */
export const POLICIES: ReadonlyMap<string, Policy> = new Map([lazyfreeSkip, lazyfreeKeep, mthpScaled].map((p) => [p.name, p]));

/**
 * The named variants, the default set wherever "every variant" is meant: each an alias
 * of a version with policies, and the column `compare` gives it.
 */
export const VARIANTS: ReadonlyMap<string, Variant> = new Map([
  withPolicies("baseline", linux618.description, linux618, [], "without patch"),
  withPolicies("lazyfree-skip", linux71.description, linux71, [], "with patch"),
  withPolicies(
    "lazyfree-keep", "Review alternative: collapse an all-lazy-free PMD into a lazy-free THP (7.1 progress, no skip)",
    linux71, [lazyfreeKeep], "review alternative",
  ),
].map((v) => [v.name, v]));

/** The variant a name stands for: a named variant, or VERSION+POLICY…; undefined if it names none. */
export function findVariant(name: string): Variant | undefined {
  const named = VARIANTS.get(name);
  if (named) return named;
  const [number, ...policyNames] = name.split("+");
  const version = VERSIONS.get(number);
  const policies = policyNames.map((p) => POLICIES.get(p));
  if (!version || policies.some((p) => p === undefined) || new Set(policyNames).size !== policyNames.length) return undefined;
  const applied = policies as Policy[];
  const description = [version.description, ...applied.map((p) => `+ ${p.name}: ${p.description}`)].join("; ");
  return withPolicies(name, description, version, applied);
}

/** What a variant name may be, for error messages. */
export function variantChoices(): string {
  return `${[...VARIANTS.keys()].join(", ")}, or a version (${[...VERSIONS.keys()].join(", ")}) ` +
    `with +policies (${[...POLICIES.keys()].join(", ")})`;
}

/** Look up a variant by name; throws a RangeError listing the known ones. */
export function getVariant(name: string): Variant {
  const v = findVariant(name);
  if (!v) throw new RangeError(`Unknown kernel variant "${name}": expected one of ${variantChoices()}`);
  return v;
}
