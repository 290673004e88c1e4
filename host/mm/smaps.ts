/** Per-task figures in the style of /proc/PID/smaps_rollup, in kB. */
import { PTE } from "../core/layout.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord } from "./pte_ops.ts";

export interface SmapsRollup {
  Rss: number;
  AnonHugePages: number;
  LazyFree: number;
  Swap: number;
}

/** Walk the mm's page tables and sum what smaps_rollup reports. */
export function smapsRollup(mm: Mm): SmapsRollup {
  const out: SmapsRollup = { Rss: 0, AnonHugePages: 0, LazyFree: 0, Swap: 0 };
  for (const h of mm.huge.values()) {
    out.Rss += 2048;
    out.AnonHugePages += 2048;
    if (!h.swapbacked) out.LazyFree += 2048;
  }
  const pt = mm.pt;
  const u32 = pt.core.u32;
  for (let i = 0; i < pt.length; i++) {
    const t = pt.table(pt.basePmd + i);
    if (t === 0) continue;
    for (let j = 0; j < 512; j++) {
      const lo = u32[pteWord(t, j)];
      if (lo === 0) continue;
      if ((lo & PTE.PRESENT) === 0) {
        if ((lo & PTE.SWAP) !== 0) out.Swap += 4;
        continue;
      }
      // The zero page is not counted in Rss.
      if (!isNormalPage(lo)) continue;
      out.Rss += 4;
      if ((lo & (PTE.FOLIO_ANON | PTE.FOLIO_SWAPBACKED)) === PTE.FOLIO_ANON) out.LazyFree += 4;
    }
  }
  return out;
}
