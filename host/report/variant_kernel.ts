/**
 * The kernel version and lazy-free policy a variant models, as reports name them. Read off
 * the variant's own switches, in this one place, until variants carry the two themselves.
 */
import type { Variant } from "../kernel/variant.ts";

export interface VariantKernel {
  /** The Linux release whose khugepaged the variant follows: "6.18", or "7.1" with the v8 series. */
  version: string;
  /** What khugepaged does with lazy-free folios: "collapse", "skip" (v8 patch 4/4) or "keep-lazyfree" (a THP that stays lazy-free). */
  lazyfree: "collapse" | "skip" | "keep-lazyfree";
}

/** `v`'s kernel version and lazy-free policy. */
export function variantKernel(v: Variant): VariantKernel {
  // mm_khugepaged_scan arrived with the v8 series, merged for 7.1.
  const version = v.scanTraceEvent ? "7.1" : "6.18";
  const lazyfree = v.lazyfreeSkip ? "skip" : v.collapsedSwapbacked(true, false) ? "collapse" : "keep-lazyfree";
  return { version, lazyfree };
}
