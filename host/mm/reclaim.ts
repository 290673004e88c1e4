/**
 * Memory pressure: reclaim until a target of free pages is met. Lazy-free folios go
 * first, as they sit on the inactive file LRU: a clean one is discarded (the task
 * later reads zeroes), a dirty one outside VM_DROPPABLE is made swap-backed again and
 * kept. Then old anonymous pages are swapped out, young ones get a second chance.
 */
import { PTE, VMA } from "../core/layout.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord, unmapPage } from "./pte_ops.ts";
import { PMD_SIZE } from "./vma.ts";

/** Reclaim until `targetFreePages` base pages are free or nothing more can go. */
export function reclaim(k: Kernel, targetFreePages: number): void {
  for (const pass of ["lazyfree", "swap-old", "swap-any"] as const) {
    for (const mm of k.mms) {
      if (k.phys.freePages >= targetFreePages) return;
      if (mm.users > 0) reclaimMm(k, mm, pass, targetFreePages);
    }
  }
}

function reclaimMm(k: Kernel, mm: Mm, pass: "lazyfree" | "swap-old" | "swap-any", target: number): void {
  const u32 = k.core.u32;
  for (const v of mm.vmas) {
    const droppable = (v.flags & VMA.VM_DROPPABLE) !== 0;
    for (let pmdNo = Math.floor(v.start / PMD_SIZE); pmdNo * PMD_SIZE < v.end; pmdNo++) {
      if (k.phys.freePages >= target) return;
      const h = mm.huge.get(pmdNo);
      if (h) {
        if (pass !== "lazyfree" || h.swapbacked || k.sharers.has(h.head)) continue;
        if (h.dirty && !droppable) {
          h.swapbacked = true;
          continue;
        }
        mm.huge.delete(pmdNo);
        mm.pt.setEntry(pmdNo, 0);
        k.phys.freeHuge(h.head);
        k.vmstat.pglazyfreed += 512;
        continue;
      }
      const t = mm.pt.table(pmdNo);
      if (t === 0) continue;
      for (let i = 0; i < 512 && k.phys.freePages < target; i++) {
        const w = pteWord(t, i);
        const lo = u32[w];
        if (!isNormalPage(lo) || (lo & PTE.FOLIO_ANON) === 0) continue;
        const addr = pmdNo * PMD_SIZE + i * 4096;
        const lazyfree = (lo & PTE.FOLIO_SWAPBACKED) === 0;
        if (pass === "lazyfree") {
          if (!lazyfree) continue;
          if ((lo & PTE.DIRTY) !== 0 && !droppable) {
            u32[w] = lo | PTE.FOLIO_SWAPBACKED;
            continue;
          }
          unmapPage(k, mm, addr, lo, u32[w + 1]);
          u32[w] = 0;
          u32[w + 1] = 0;
          k.vmstat.pglazyfreed++;
        } else {
          if (lazyfree) continue;
          if (pass === "swap-old" && (lo & PTE.YOUNG) !== 0) {
            u32[w] = lo & ~PTE.YOUNG;
            continue;
          }
          unmapPage(k, mm, addr, lo, u32[w + 1]);
          u32[w] = PTE.SWAP;
          u32[w + 1] = 0;
          k.vmstat.pswpout++;
        }
      }
    }
  }
}
