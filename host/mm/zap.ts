/**
 * Unmapping one PMD's share of a range (`zap_pmd_range()`), as MADV_DONTNEED and exit
 * do it: pages are freed or given up by their mm, a huge PMD goes whole.
 */
import { pteNormal, ptePresent } from "../core/pte.ts";
import { splitHugeZeroPmd, zapHugeZeroPmd } from "./huge_zero.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import type { MmuGather } from "./mmu_gather.ts";
import { forEachPte, setFolioMapcount, unmapPage } from "./pte_ops.ts";
import { PMD_SIZE } from "./vma.ts";

/**
 * Zap one PMD's range: unmap and free, gathering every present entry (a
 * swap entry is dropped unflushed: no TLB holds it). The PTE table stays.
 */
export function zapRange(k: Kernel, mm: Mm, pmdNo: number, from: number, to: number, tlb: MmuGather): void {
  if (mm.hugeZero.has(pmdNo)) {
    if (to - from === PMD_SIZE) {
      zapHugeZeroPmd(mm, pmdNo, tlb);
      return;
    }
    splitHugeZeroPmd(k, mm, pmdNo);
  }
  const h = mm.huge.get(pmdNo);
  if (h) {
    tlb.pmd(pmdNo * PMD_SIZE);
    // The entry first: its change notice (PageTable.onChange) reads the PMD as it was.
    mm.pt.setEntry(pmdNo, 0);
    mm.huge.delete(pmdNo);
    const sh = k.sharers.get(h.head);
    if (!sh) {
      k.phys.freeHuge(h.head);
    } else {
      sh.mms.delete(mm);
      if (sh.mms.size === 1) {
        // The last mapper owns the folio now; if it maps it by PTEs, they turn private.
        const [other] = sh.mms;
        k.sharers.delete(h.head);
        if (!other.huge.has(pmdNo)) k.phys.splitHuge(h.head);
        setFolioMapcount(other, sh.addr, h.head, 9, 1);
      }
    }
    return;
  }
  forEachPte(mm, pmdNo, from, to, (u32, w, addr) => {
    const lo = u32[w];
    if (ptePresent(lo)) tlb.pte(addr);
    if (pteNormal(lo)) unmapPage(k, mm, addr, lo, u32[w + 1]);
    const fresh = mm.pt.core.u32;
    fresh[w] = 0;
    fresh[w + 1] = 0;
  });
}
