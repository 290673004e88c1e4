/**
 * The mmu_gather as madvise and exit use it (mm/mmu_gather.c, x86's tlb_flush()): the
 * address range of the entries actually changed, and at which level, flushed once when
 * the gather finishes. A gather that collected nothing flushes nothing.
 */
import type { Mm } from "./mm.ts";
import { PAGE_SHIFT, PAGE_SIZE, PMD_SHIFT, PMD_SIZE } from "./vma.ts";

export class MmuGather {
  #start = Infinity;
  #end = 0;
  #clearedPtes = false;

  /**
   * A gather of `mm`; `fullMm` is exit's (`tlb_gather_mmu_fullmm()`), which frees the
   * page tables too and so always ends in a flush of the whole mm.
   */
  constructor(readonly mm: Mm, readonly fullMm = false) {}

  /** `tlb_remove_tlb_entry()`: the PTE mapping `addr` changed. */
  pte(addr: number): void {
    this.#extend(addr, addr + PAGE_SIZE);
    this.#clearedPtes = true;
  }

  /** `tlb_remove_pmd_tlb_entry()`: the huge PMD at `addr` changed. */
  pmd(addr: number): void {
    this.#extend(addr, addr + PMD_SIZE);
  }

  /** `pte_free_tlb()`: the PTE table of the PMD at `addr` was freed (one page, at the PMD level). */
  pteTable(addr: number): void {
    this.#extend(addr, addr + PAGE_SIZE);
  }

  /**
   * `tlb_finish_mmu()`: flush the gathered range, one INVLPG per page once a PTE was
   * gathered, else one per huge PMD (`tlb_get_unmap_shift()`), and start afresh.
   */
  finish(): void {
    if (this.fullMm) this.mm.flushTlbMm();
    else if (this.#end > this.#start) {
      this.mm.flushTlbRange(this.#start, this.#end, this.#clearedPtes ? PAGE_SHIFT : PMD_SHIFT);
    }
    this.#start = Infinity;
    this.#end = 0;
    this.#clearedPtes = false;
  }

  #extend(start: number, end: number): void {
    this.#start = Math.min(this.#start, start);
    this.#end = Math.max(this.#end, end);
  }
}
