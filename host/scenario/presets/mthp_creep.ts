/**
 * The "creep" the mTHP collapse series was redesigned against (spec/khugepaged.md §12):
 * under the earlier postings' order-scaled max_ptes_none (`max_ptes_none >> (9 − o)`),
 * with max_ptes_none above 255 a collapse at order o fills half the window of order o + 1
 * or more, which then qualifies on khugepaged's next pass, so a few written pages grow
 * pass by pass into a 2 MiB THP. At 256 each pass doubles the folio. The merged rule (v18,
 * Linux 7.2) takes only 0 or 511 for mTHP orders and treats 256 as 0: each full 32 KiB
 * collapses once, at its own size.
 */
import { sizeDir, THP_SIZES_KB } from "../../kernel/thp_sizes.ts";
import type { ScenarioInput } from "../scenario_schema.ts";

/** PMDs of the task's heap, each with 32 KiB written at its start: half of a 64 KiB window. */
const PMDS = 8;
const SPARSE = "32 KiB";

/** Every anonymous size from 16 kB to 2 MiB follows the top-level `enabled` (madvise). */
const sizes = Object.fromEntries(THP_SIZES_KB.map((kb) => [`${sizeDir(kb)}/enabled`, "inherit"]));

export const mthpCreep: ScenarioInput = {
  name: "mthp-creep",
  description:
    "32 KiB written at the start of each of 8 PMDs, then MADV_HUGEPAGE, max_ptes_none 256 and every size on: the earlier " +
    "order-scaled rule collapses 64 KiB, then 128 KiB, 256 KiB … 2 MiB folios pass by pass (creep); 7.2's rule treats 256 " +
    "as 0 and collapses each full 32 KiB once",
  variants: ["7.2", "7.2+mthp-scaled"],
  tunables: { enabled: "madvise", ...sizes, "khugepaged/max_ptes_none": 256 },
  tlb: "zen5",
  costModel: "bare-metal",
  seed: 1,
  durationS: 70,
  tasks: [{
    name: "sparse",
    vmas: [{ name: "heap", size: `${2 * PMDS} MiB` }],
    steps: [
      // Written before MADV_HUGEPAGE, so that the faults take 4 KiB pages (madvise mode) and khugepaged does the rest.
      ...Array.from({ length: PMDS }, (_, i) => ({ do: "touch", vma: "heap", offset: `${2 * i} MiB`, length: SPARSE, write: true })),
      { do: "madvise", vma: "heap", advice: "MADV_HUGEPAGE" },
    ],
  }],
};
