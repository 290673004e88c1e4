/**
 * The mTHP series' earlier rule (postings before v17): an mTHP order o takes
 * `max_ptes_none >> (PMD_ORDER − o)` empty PTEs. With max_ptes_none above 255 a collapse
 * fills enough of the next order's window for it to qualify on the next scan, so a
 * folio grows order by order ("creep"), which the merged 0-or-511 rule was made to stop.
 */
import type { Policy } from "../variant.ts";

export const mthpScaled: Policy = {
  name: "mthp-scaled",
  description: "mTHP collapse scales max_ptes_none by order (the series' earlier rule, which creeps)",
  delta: { mthpMaxNone: "scaled" },
};
