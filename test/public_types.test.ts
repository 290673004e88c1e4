/** The literal unions the library exports stay the registries' names: a typo is a compile error, a name is never missing. */
import { expect, test } from "vitest";
import type { CompareOptions } from "../host/run/compare.ts";
import { type TunablePath, TUNABLE_PATHS } from "../host/kernel/tunables.ts";
import { findVariant, POLICIES, VARIANTS, type VariantName, VERSIONS } from "../host/kernel/variants/mod.ts";

test("TunablePath names exactly the files TUNABLE_PATHS lists", () => {
  const every: Record<TunablePath, true> = {
    enabled: true, defrag: true, use_zero_page: true, "khugepaged/defrag": true, "khugepaged/pages_to_scan": true,
    "khugepaged/scan_sleep_millisecs": true, "khugepaged/alloc_sleep_millisecs": true, "khugepaged/max_ptes_none": true,
    "khugepaged/max_ptes_swap": true, "khugepaged/max_ptes_shared": true,
    "hugepages-16kB/enabled": true, "hugepages-32kB/enabled": true, "hugepages-64kB/enabled": true,
    "hugepages-128kB/enabled": true, "hugepages-256kB/enabled": true, "hugepages-512kB/enabled": true,
    "hugepages-1024kB/enabled": true, "hugepages-2048kB/enabled": true,
  };
  expect(Object.keys(every).sort()).toEqual([...TUNABLE_PATHS].sort());
});

test("VariantName covers every named variant, version and version+policy, and each is a variant", () => {
  const names: VariantName[] = [
    "baseline", "lazyfree-skip", "lazyfree-keep", "6.18", "7.1", "7.2",
    "6.18+lazyfree-skip", "6.18+lazyfree-keep", "7.1+lazyfree-skip", "7.1+lazyfree-keep", "7.2+lazyfree-skip",
    "7.2+lazyfree-keep", "6.18+mthp-scaled", "7.1+mthp-scaled", "7.2+mthp-scaled", "7.1+lazyfree-skip+lazyfree-keep",
  ];
  const registry = [...VARIANTS.keys(), ...VERSIONS.keys(),
    ...[...VERSIONS.keys()].flatMap((v) => [...POLICIES.keys()].map((p) => `${v}+${p}`))];
  expect(names.slice(0, registry.length).sort()).toEqual(registry.sort());
  for (const n of names) expect(findVariant(n), n).toBeDefined();
  // @ts-expect-error a misspelt variant does not compile
  const typo: CompareOptions = { variants: ["lazyfree-skp"] };
  expect(findVariant(typo.variants![0])).toBeUndefined();
});
