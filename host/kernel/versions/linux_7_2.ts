/**
 * Linux 7.2: 7.1 with Nico Pache's mTHP collapse series (v18, May 2026, "Automatic
 * mTHP creation"): khugepaged runs while any anonymous size is enabled and collapses
 * each scanned PMD into the enabled sizes the occupied bitmap allows
 * (host/khugepaged/mthp_collapse.ts). With only the PMD size enabled it is 7.1 but for
 * mthp_collapse()'s PMD window, in which a swap PTE counts against max_ptes_none.
 */
import type { KernelVersion } from "../variant.ts";
import { linux71 } from "./linux_7_1.ts";

export const linux72: KernelVersion = {
  ...linux71,
  version: "7.2",
  description: "Linux 7.2 (mTHP collapse series v18): khugepaged collapses into every enabled anonymous THP size",
  mthpCollapse: true,
};
