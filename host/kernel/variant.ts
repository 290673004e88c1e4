/**
 * A kernel variant is two choices: a kernel version (the base: what that release's
 * khugepaged does) and zero or more policies (small deltas over the base, such as a
 * patch under review). A version is one module in versions/, a policy one module in
 * policies/; variants/mod.ts names the combinations and resolves their names.
 */
import type { MaxNoneRule } from "../core/occupancy.ts";

export type { MaxNoneRule };

/** The switches of the shared khugepaged model that a version sets and a policy may change. */
export interface KernelRules {
  /** The v8 "skip lazy-free folios" rule in the scan and isolate steps. */
  readonly lazyfreeSkip: boolean;
  /** Whether `mm_khugepaged_scan` exists (v8 patch 1/4). */
  readonly scanTraceEvent: boolean;
  /**
   * The mTHP collapse series (7.2): khugepaged serves every enabled anonymous size, so
   * it runs while any `hugepages-<N>kB/enabled` is on (`hugepage_enabled()`), not only
   * the PMD size (`hugepage_pmd_enabled()`).
   */
  readonly mthpCollapse: boolean;
  /** Which per-order `max_ptes_none` rule mTHP collapse applies (host/khugepaged/mthp_collapse.ts). */
  readonly mthpMaxNone: MaxNoneRule;
  /** Budget units of `pages_to_scan` charged for one scanned anonymous PMD whose scan examined `ptesExamined` PTEs. */
  pmdCharge(ptesExamined: number): number;
  /** The trace string this kernel prints for a result code. */
  traceString(result: number): string;
  /** Whether MADV_COLLAPSE goes on to the next PMD after this result (`madvise_collapse`'s whitelist). */
  collapseContinues(result: number): boolean;
  /**
   * Whether MADV_COLLAPSE of a range inside one PMD that touches no PMD boundary fails
   * with -EINVAL. 6.18 compares the THPs made with `(hend - hstart) >> HPAGE_PMD_SHIFT`
   * in unsigned arithmetic, which an inverted range turns huge; 7.1 returns 0 early
   * when `hstart >= hend`.
   */
  readonly collapseInvertedRangeFails: boolean;
  /**
   * Whether the THP a collapse creates is swap-backed, given whether every source page
   * was lazy-free and whether the VMA is VM_DROPPABLE. The kernel: `!droppable`.
   */
  collapsedSwapbacked(sourceAllLazyfree: boolean, droppable: boolean): boolean;
}

/** A kernel release: its number ("6.18", "7.1") and the rules its khugepaged follows. */
export interface KernelVersion extends KernelRules {
  readonly version: string;
  readonly description: string;
}

/** A change to some of a version's rules, named as `VERSION+POLICY` variants spell it. */
export interface Policy {
  readonly name: string;
  readonly description: string;
  readonly delta: Partial<KernelRules>;
}

/** A version with its policies applied, under the name a scenario or `--variants` uses. */
export interface Variant extends KernelRules {
  /** Registry name, e.g. "baseline" or "7.1+lazyfree-keep". */
  readonly name: string;
  /** One line for `khugesim presets`, the page and reports. */
  readonly description: string;
  /** The base's number, e.g. "6.18". */
  readonly version: string;
  /** Names of the policies applied to the base, in order. */
  readonly policies: readonly string[];
  /** How `compare`'s table heads this variant's column (default: its name). */
  readonly column?: string;
}

/** `version` with each of `policies` applied in turn. */
export function withPolicies(
  name: string, description: string, version: KernelVersion, policies: readonly Policy[], column?: string,
): Variant {
  let rules: KernelRules = version;
  for (const p of policies) rules = { ...rules, ...p.delta };
  return {
    ...rules, name, description, version: version.version, policies: policies.map((p) => p.name),
    ...(column === undefined ? {} : { column }),
  };
}
