/**
 * Memory pressure and MADV_PAGEOUT. Reclaim runs until a target of free pages is met.
 * Lazy-free folios go first, as they sit on the inactive file LRU: a clean one is
 * discarded (the task later reads zeroes), a dirty one outside VM_DROPPABLE is made
 * swap-backed again and kept. Then old anonymous pages are swapped out, young ones get
 * a second chance. Pages mapped by more than one mm are left alone (the model has no
 * rmap walk to unmap them everywhere at once), and so are PMD-mapped THPs unless they
 * are lazy-free.
 */
import { PTE, VMA } from "../core/layout.ts";
import {
  folioAnon, folioLazyfree, folioLocked, folioLru, folioMapcount, folioPins, pteNormal, pteYoung, withFolioOrder, withPteBits,
} from "../core/pte.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { folioDirtyAnywhere, forEachPte, pteWord, setFolioFlags, splitHugePmd, unmapPage } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE, type Vma } from "./vma.ts";

type Pass = "lazyfree" | "swap-old" | "swap-any";

/** Reclaim until `targetFreePages` base pages are free or nothing more can go. */
export function reclaim(k: Kernel, targetFreePages: number): void {
  for (const pass of ["lazyfree", "swap-old", "swap-any"] as const) {
    for (const mm of k.mms) {
      if (k.phys.freePages >= targetFreePages) return;
      // shrink_folio_list() ends with try_to_unmap_flush(): x86's arch_tlbbatch_flush()
      // flushes everything on the CPUs that ran the mm.
      if (mm.users > 0 && reclaimMm(k, mm, pass, targetFreePages)) mm.flushTlbMm();
    }
  }
}

/** Reclaim from `mm` on `pass`; returns whether a PTE was unmapped. */
function reclaimMm(k: Kernel, mm: Mm, pass: Pass, target: number): boolean {
  let unmapped = false;
  let u32 = k.core.u32;
  for (const v of mm.vmas) {
    for (let pmdNo = Math.floor(v.start / PMD_SIZE); pmdNo * PMD_SIZE < v.end; pmdNo++) {
      if (k.phys.freePages >= target) return unmapped;
      const h = mm.huge.get(pmdNo);
      if (h) {
        if (pass === "lazyfree" && !h.swapbacked && !k.sharers.has(h.head)) reclaimLazyfreeHuge(k, mm, v, pmdNo);
        continue;
      }
      let t = mm.pt.table(pmdNo);
      if (t === 0) continue;
      // A table shared by alike PMDs (a synthetic map) is copied at the first PTE this
      // PMD changes, not before: reclaim walks every table, most of them untouched.
      let own = false;
      const first = Math.max(0, (v.start - pmdNo * PMD_SIZE) / PAGE_SIZE);
      const last = Math.min(512, (v.end - pmdNo * PMD_SIZE) / PAGE_SIZE);
      for (let i = first; i < last && k.phys.freePages < target; i++) {
        let w = pteWord(t, i);
        const lo = u32[w];
        if (!pteNormal(lo) || !folioAnon(lo) || folioMapcount(lo) > 1) continue;
        // The first pass looks at lazy-free pages only, the second at swap-backed ones
        // only; the last takes any page, those spared before included.
        const lazyfree = folioLazyfree(lo);
        const picky = pass !== "swap-any";
        if (picky && lazyfree !== (pass === "lazyfree")) continue;
        // folio_check_references(): a young page is spared once; the look clears the bit.
        const spare = picky && pteYoung(lo);
        if (!own) {
          t = mm.pt.writableTable(pmdNo);
          w = pteWord(t, i);
          own = true;
          // The copy may have grown core memory: a view taken before it ends short of it.
          u32 = k.core.u32;
        }
        if (spare) {
          u32[w] = withPteBits(lo, 0, PTE.YOUNG);
          continue;
        }
        if (reclaimPte(k, mm, v, pmdNo * PMD_SIZE + i * PAGE_SIZE, w)) unmapped = true;
        // Unmapping or a folio-wide change may have grown core memory.
        u32 = k.core.u32;
      }
    }
  }
  return unmapped;
}

/**
 * `try_to_unmap_one()` and `shrink_folio_list()` for one PTE-mapped anonymous page,
 * references ignored: a clean lazy-free page (or any page of a VM_DROPPABLE VMA) is
 * discarded and its PTE cleared; a lazy-free page written since MADV_FREE becomes
 * swap-backed again and stays; any other page is written to swap and its PTE becomes
 * a swap entry. Returns whether the PTE was unmapped; its TLB flush is the caller's
 * (try_to_unmap() batches it: TTU_BATCH_FLUSH).
 */
function reclaimPte(k: Kernel, mm: Mm, vma: Vma, addr: number, w: number): boolean {
  const u32 = k.core.u32;
  const lo = u32[w];
  if (folioLazyfree(lo)) {
    if ((vma.flags & VMA.VM_DROPPABLE) === 0 && folioDirtyAnywhere(k.sharers, mm, addr, lo, u32[w + 1])) {
      // The task wrote to the folio after MADV_FREE: the data matters again, all of it,
      // for every mm that maps it (folio_mark_dirty(), folio_set_swapbacked()).
      setFolioFlags(k.sharers, mm, addr, lo, u32[w + 1], PTE.FOLIO_SWAPBACKED | PTE.FOLIO_DIRTY, 0);
      return false;
    }
    unmapPage(k, mm, addr, lo, u32[w + 1]);
    u32[w] = 0;
    u32[w + 1] = 0;
    k.vmstat.pglazyfreed++;
    return true;
  }
  unmapPage(k, mm, addr, lo, u32[w + 1]);
  u32[w] = PTE.SWAP;
  u32[w + 1] = 0;
  k.vmstat.pswpout++;
  return true;
}

/** `__discard_anon_folio_pmd_locked()`: a lazy-free THP is dropped whole, unless re-dirtied. */
function reclaimLazyfreeHuge(k: Kernel, mm: Mm, vma: Vma, pmdNo: number): void {
  const h = mm.huge.get(pmdNo)!;
  if (h.dirty && (vma.flags & VMA.VM_DROPPABLE) === 0) {
    mm.pt.touch(pmdNo);
    h.swapbacked = true;
    return;
  }
  // A reference the mappings do not explain (a GUP pin): the PMD is put back, the folio kept.
  if (h.pins?.some((n) => n > 0)) return;
  // The entry first: its change notice (PageTable.onChange) reads the PMD as it was.
  mm.pt.setEntry(pmdNo, 0);
  mm.huge.delete(pmdNo);
  // pmdp_huge_clear_flush(): the PMD's one translation goes at once, not batched.
  mm.flushHugePmdTlb(pmdNo);
  k.phys.freeHuge(h.head);
  k.vmstat.pglazyfreed += 512;
}

/**
 * MADV_PAGEOUT over [from, to) within one PMD of `vma` (`madvise_cold_or_pageout_pte_range`
 * then `reclaim_pages`): every exclusive anonymous folio in range is reclaimed at once,
 * references ignored. A swap-backed PMD-mapped THP is split and written out page by
 * page; a huge PMD only partly in range has already been split by the caller.
 */
export function pageoutRange(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number): void {
  const h = mm.huge.get(pmdNo);
  if (h) {
    // Do not interfere with other mappings of the folio.
    if (k.sharers.has(h.head)) return;
    if (!h.swapbacked) {
      reclaimLazyfreeHuge(k, mm, vma, pmdNo);
      return;
    }
    splitHugePmd(k, mm, vma, pmdNo);
  }
  let unmapped = false;
  forEachPte(mm, pmdNo, from, to, (u32, w, addr) => {
    const lo = u32[w];
    if (!pteNormal(lo) || !folioAnon(lo) || !folioLru(lo)) return;
    if (folioMapcount(lo) > 1 || folioLocked(lo) || folioPins(lo) !== 0) {
      return;
    }
    // A large folio is split before it goes to swap; its pages are reclaimed one by one.
    u32[w] = withFolioOrder(lo, 0);
    if (reclaimPte(k, mm, vma, addr, w)) unmapped = true;
  });
  // reclaim_pages() of this PMD's folios ends with try_to_unmap_flush(): a whole flush on x86.
  if (unmapped) mm.flushTlbMm();
}
