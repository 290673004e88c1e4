/**
 * The huge zero page (mm/huge_memory.c): with use_zero_page=1, a read fault where a THP
 * may go maps one shared, read-only 2 MiB zero folio by PMD instead of allocating. The
 * mm gains no anonymous memory (AnonHugePages and Rss stay 0) and khugepaged finds the
 * PMD mapped. The folio is allocated at its first use (thp_zero_page_alloc) and kept:
 * the shrinker that frees it under memory pressure once nothing maps it is not modelled.
 */
import { PMD, PTE } from "../core/layout.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import type { MmuGather } from "./mmu_gather.ts";
import { pteWord } from "./pte_ops.ts";
import { PMD_SIZE } from "./vma.ts";

/**
 * Map the huge zero page at PMD `pmdNo` (`set_huge_zero_folio()`), allocating it first
 * if no PMD has used it yet. Returns false, counting thp_zero_page_alloc_failed and
 * thp_fault_fallback, when that allocation finds no free 2 MiB block.
 */
export function mapHugeZeroPmd(k: Kernel, mm: Mm, pmdNo: number): boolean {
  if (k.hugeZeroPfn < 0) {
    const head = k.phys.allocHuge();
    if (head < 0) {
      k.vmstat.thp_zero_page_alloc_failed++;
      k.vmstat.thp_fault_fallback++;
      return false;
    }
    k.hugeZeroPfn = head;
    k.vmstat.thp_zero_page_alloc++;
  }
  mm.pt.setEntry(pmdNo, (PMD.HUGE | (k.hugeZeroPfn >>> 9)) >>> 0);
  mm.hugeZero.add(pmdNo);
  return true;
}

/** Point PMD `pmdNo` of `child` at the huge zero page `parent` maps there (`copy_huge_pmd()`). */
export function copyHugeZeroPmd(parent: Mm, child: Mm, pmdNo: number): void {
  child.pt.setEntry(pmdNo, parent.pt.entry(pmdNo));
  child.hugeZero.add(pmdNo);
}

/**
 * `__split_huge_zero_page_pmd()`: the huge zero PMD becomes a PTE table of 512 read-only
 * 4 KiB zero-page PTEs (young: x86's base protections carry the accessed bit). The PMD's
 * translation is flushed first (`pmdp_huge_clear_flush()`); thp_split_pmd counts it.
 */
export function splitHugeZeroPmd(k: Kernel, mm: Mm, pmdNo: number): void {
  mm.hugeZero.delete(pmdNo);
  mm.pt.setEntry(pmdNo, 0);
  mm.flushHugePmdTlb(pmdNo);
  const t = mm.pt.writableTable(pmdNo);
  const u32 = mm.pt.core.u32;
  for (let i = 0; i < 512; i++) {
    const w = pteWord(t, i);
    u32[w] = PTE.PRESENT | PTE.ZERO | PTE.YOUNG;
    u32[w + 1] = 0;
  }
  k.vmstat.thp_split_pmd++;
}

/** `zap_huge_pmd()` of a huge zero PMD: the entry goes, nothing is freed. */
export function zapHugeZeroPmd(mm: Mm, pmdNo: number, tlb: MmuGather): void {
  tlb.pmd(pmdNo * PMD_SIZE);
  mm.hugeZero.delete(pmdNo);
  mm.pt.setEntry(pmdNo, 0);
}
