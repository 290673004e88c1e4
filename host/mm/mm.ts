/**
 * An mm (one task's address space): its VMAs in address order, its page tables, and
 * the state khugepaged reads (MMF_VM_HUGEPAGE registration, users, THP disable).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { MMAP_BASE, placeBelow } from "./address_space.ts";
import { PageTable, type TableShares } from "./page_table.ts";
import { PAGE_SHIFT, PAGE_SIZE, PMD_SHIFT, PMD_SIZE, type Vma } from "./vma.ts";

/**
 * x86's `tlb_single_page_flush_ceiling`: `flush_tlb_mm_range()` flushes a range of more
 * entries than this as the whole mm (page-walk caches included), this many or fewer one
 * at a time.
 */
const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

/**
 * A TLB a flush of an mm reaches: each task running on the mm has one (x86 sends its CPU
 * the flush and waits). Pages are numbered from entry 0 of the mm's PMD directory.
 */
export interface MmTlb {
  /** Flush everything (page-walk caches included). */
  reset(): void;
  /** INVLPG of each page. */
  invalidatePages(pages: Iterable<number>): void;
}

/** Per-huge-PMD state the PMD entry does not carry. */
export interface HugePmd {
  head: number;
  /** The PMD's accessed bit: a split hands it to every PTE (`__split_huge_pmd_locked`). */
  young: boolean;
  dirty: boolean;
  /** Not lazy-free: false after MADV_FREE, true again once reclaim finds it dirty. */
  swapbacked: boolean;
  /** GUP pins per page of the folio, if any was taken; a split hands them to the PTEs. */
  pins?: Uint8Array;
}

export class Mm {
  readonly id: number;
  readonly name: string;
  readonly pt: PageTable;
  readonly vmas: Vma[] = [];
  /** Huge PMDs by PMD number. */
  readonly huge = new Map<number, HugePmd>();
  /** PMDs mapping the huge zero page (not in `huge`: no anonymous folio of the mm's). */
  readonly hugeZero = new Set<number>();
  /** 1 while the task lives; 0 after exit (`mm_users`). */
  users = 1;
  /** MMF_VM_HUGEPAGE: the mm is on khugepaged's list. */
  registered = false;
  /** prctl(PR_SET_THP_DISABLE): MMF_DISABLE_THP_COMPLETELY. */
  thpDisabled = false;
  /** The TLBs this mm's flushes reach. */
  readonly tlbs = new Set<MmTlb>();
  /** The lowest mapping's start: the next mapping goes below it. */
  #low = MMAP_BASE;

  constructor(id: number, name: string, core: CoreMemory, shares: TableShares) {
    this.id = id;
    this.name = name;
    this.pt = new PageTable(core, shares);
  }

  /**
   * `flush_tlb_mm_range()`: flush the translations of [start, end), one INVLPG every
   * 2^strideShift bytes (PAGE_SHIFT for PTEs, PMD_SHIFT for a huge PMD), or the whole
   * mm when that takes more INVLPGs than the ceiling.
   */
  flushTlbRange(start: number, end: number, strideShift: number = PAGE_SHIFT): void {
    if (this.tlbs.size === 0) return;
    if ((end - start) / 2 ** strideShift > TLB_SINGLE_PAGE_FLUSH_CEILING) {
      this.flushTlbMm();
      return;
    }
    const first = this.pt.basePmd * (PMD_SIZE / PAGE_SIZE);
    const pages: number[] = [];
    for (let addr = start; addr < end; addr += 2 ** strideShift) pages.push(Math.floor(addr / PAGE_SIZE) - first);
    for (const tlb of this.tlbs) tlb.invalidatePages(pages);
  }

  /** `flush_tlb_page()`: the translation of the page at `addr`. */
  flushTlbPage(addr: number): void {
    this.flushTlbRange(addr, addr + PAGE_SIZE);
  }

  /** `flush_pmd_tlb_range()` of one huge PMD: its one translation. */
  flushHugePmdTlb(pmdNo: number): void {
    this.flushTlbRange(pmdNo * PMD_SIZE, (pmdNo + 1) * PMD_SIZE, PMD_SHIFT);
  }

  /** `flush_tlb_mm()`: every translation of this mm goes. */
  flushTlbMm(): void {
    for (const tlb of this.tlbs) tlb.reset();
  }

  /**
   * Pick an address for a new mapping of `len` bytes aligned to `align`, below every
   * mapping so far as x86-64's top-down layout does, and cover it. Throws RangeError
   * (mmap's ENOMEM) when the user address space has no room left for it.
   */
  placeMapping(len: number, align: number): number {
    const start = placeBelow(this.#low, len, align);
    if (start === null) {
      throw new RangeError(`mmap: ENOMEM, no room for ${len} bytes below 0x${this.#low.toString(16)} in the user address space`);
    }
    this.#low = start;
    this.pt.cover(Math.floor(start / PMD_SIZE), Math.ceil((start + len) / PMD_SIZE));
    return start;
  }

  /** Insert a VMA keeping address order. */
  insertVma(v: Vma): void {
    let i = this.vmas.length;
    while (i > 0 && this.vmas[i - 1].start > v.start) i--;
    this.vmas.splice(i, 0, v);
  }

  /** The VMA containing `addr`, if any (`vma_lookup`). */
  findVma(addr: number): Vma | undefined {
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return undefined;
  }

  /** Split VMAs so that `addr` is a boundary, if it falls inside one. */
  splitAt(addr: number): void {
    const v = this.findVma(addr);
    if (!v || v.start === addr) return;
    const tail: Vma = { ...v, start: addr };
    v.end = addr;
    this.insertVma(tail);
  }

  /** The VMAs overlapping [start, end), in address order, without splitting any. */
  vmasOverlapping(start: number, end: number): Vma[] {
    return this.vmas.filter((v) => v.start < end && v.end > start);
  }

  /**
   * Merge neighbours that have become alike (`vma_merge` after an mprotect-style
   * change): adjacent, same flags, and anon_vmas that may be joined.
   */
  mergeAround(start: number, end: number): void {
    for (let i = 0; i + 1 < this.vmas.length; i++) {
      const a = this.vmas[i], b = this.vmas[i + 1];
      if (b.start > end || a.end < start) continue;
      if (a.end !== b.start || a.flags !== b.flags) continue;
      a.end = b.end;
      a.anonVma = a.anonVma || b.anonVma;
      this.vmas.splice(i + 1, 1);
      i--;
    }
  }
}

/** PMD number of an address. */
export function pmdOf(addr: number): number {
  return Math.floor(addr / PMD_SIZE);
}

/** PTE index of an address within its PMD. */
export function pteIndexOf(addr: number): number {
  return (addr % PMD_SIZE) / PAGE_SIZE;
}

