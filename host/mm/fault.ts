/**
 * mmap of anonymous private memory and the page faults and accesses that populate it:
 * a huge page at fault time where the THP mode and VMA allow it and a 2 MiB block is
 * free, otherwise an mTHP of an enabled smaller size (anon_folio.ts) or 4 KiB pages
 * (the zero page for a first read). Accesses set the
 * young bit, writes the dirty bit, as the MMU does.
 */
import { PMD, PTE, VMA } from "../core/layout.ts";
import { folioPfn, pteNormal, ptePresent, pteSwap, pteWrite, pteZero, withPteBits } from "../core/pte.ts";
import { thpVmaAllowable, thpVmaFaultOrders } from "./thp_policy.ts";
import { faultAnonFolio } from "./anon_folio.ts";
import { countMthpStat } from "../kernel/mthp_stats.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";
import { mapHugeZeroPmd, splitHugeZeroPmd } from "./huge_zero.ts";
import { mmapAlign } from "./address_space.ts";
import type { Kernel } from "./kernel.ts";
import { type Mm, pmdOf } from "./mm.ts";
import { newAnonLo, pteWord, splitHugePmd, unmapPage } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE, vmaHend, vmaHstart, type Vma } from "./vma.ts";

export interface MmapOptions {
  /** Length in bytes, a positive multiple of 4096. */
  len: number;
  /** VMA flags (`VMA.VM_*`); VM_WRITE is added for a writable mapping. */
  flags?: number;
  /** Placement alignment; default: 2 MiB when len is a multiple of it and THP is not "never". */
  align?: number;
  /** MAP_POPULATE: write-fault every page now. */
  populate?: boolean;
  /** PROT_WRITE (default true). */
  write?: boolean;
}

/** A one-line error for a system call the kernel would refuse, with its errno. */
export class SyscallError extends Error {
  constructor(readonly errno: string, message: string) {
    super(message);
    this.name = "SyscallError";
  }
}

/** mmap(MAP_PRIVATE | MAP_ANONYMOUS): returns the new VMA. */
export function mmap(k: Kernel, mm: Mm, o: MmapOptions): Vma {
  if (!(Number.isInteger(o.len) && o.len > 0 && o.len % PAGE_SIZE === 0)) {
    throw new SyscallError("EINVAL", `mmap: len must be a positive multiple of 4096, got ${o.len}`);
  }
  const align = o.align ?? mmapAlign(o.len, k.tunables.enabled !== "never");
  if (!(Number.isInteger(align) && align >= PAGE_SIZE && (align & (align - 1)) === 0)) {
    throw new SyscallError("EINVAL", `mmap: align must be a power of two of at least 4096, got ${align}`);
  }
  const start = mm.placeMapping(o.len, align);
  const vma: Vma = {
    start, end: start + o.len, flags: (o.flags ?? 0) | (o.write === false ? 0 : VMA.VM_WRITE), anonVma: false,
  };
  mm.insertVma(vma);
  if (o.populate) touch(k, mm, vma.start, o.len, true);
  return vma;
}

/**
 * Access every page of [start, start + len) once, faulting in what is missing:
 * what a memset (write) or a read sweep does to the page tables.
 */
export function touch(k: Kernel, mm: Mm, start: number, len: number, write: boolean): void {
  const end = start + len;
  for (let addr = start; addr < end;) {
    const vma = mm.findVma(addr);
    if (!vma) throw new SyscallError("EFAULT", `${mm.name}: access at 0x${addr.toString(16)} is outside every mapping`);
    const stop = Math.min(end, vma.end);
    // The mTHP orders a fault here may allocate: sysfs cannot change during the access.
    const mthpOrders = thpVmaFaultOrders(k.tunables, mm, vma);
    while (addr < stop) {
      const pmdNo = pmdOf(addr);
      const pmdEnd = Math.min(stop, (pmdNo + 1) * PMD_SIZE);
      touchPmd(k, mm, vma, pmdNo, addr, pmdEnd, write, mthpOrders);
      addr = pmdEnd;
    }
  }
}

function touchPmd(
  k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number, write: boolean, mthpOrders: number,
): void {
  const e = mm.pt.entry(pmdNo);
  if (e === 0 && tryHugeFault(k, mm, vma, pmdNo, write)) return;
  if (mm.hugeZero.has(pmdNo)) {
    // do_huge_pmd_wp_page() of the huge zero page: a THP in its place, or, when none
    // can be allocated, a split into zero-page PTEs whose write faults follow below.
    if (!write || hugeZeroWpFault(k, mm, vma, pmdNo)) return;
  } else if ((e & PMD.HUGE) !== 0) {
    const h = mm.huge.get(pmdNo)!;
    h.young = true;
    if (!write) return;
    if (!k.sharers.has(h.head)) {
      h.dirty = true;
      return;
    }
    // A write to a THP another mm still maps: split this mapping, then COW the page.
    splitHugePmd(k, mm, vma, pmdNo);
  }
  if (write) vma.anonVma = true;
  const t = mm.pt.writableTable(pmdNo);
  const u32 = k.core.u32;
  const base = pmdNo * PMD_SIZE;
  const first = (from - base) / PAGE_SIZE, end = (to - base) / PAGE_SIZE;
  const writeBits = PTE.YOUNG | PTE.DIRTY | ((vma.flags & VMA.VM_WRITE) !== 0 ? PTE.WRITE : 0);
  for (let i = first; i < end; i++) {
    const w = pteWord(t, i);
    const lo = u32[w];
    if (pteNormal(lo) && (!write || pteWrite(lo))) {
      // The common case: a mapped private page, accessed again (a write to a
      // lazy-free page dirties its PTE; the folio stays !swapbacked until reclaim
      // looks at it, but the dirty PTE already protects it).
      u32[w] = withPteBits(lo, write ? writeBits : PTE.YOUNG);
    } else if (lo === 0 || !ptePresent(lo)) {
      // A write to a none PTE may map an mTHP over its whole window (do_anonymous_page()).
      if (!(lo === 0 && write && mthpOrders !== 0 && faultAnonFolio(k, vma, mthpOrders, pmdNo, t, i))) {
        faultPage(k, vma, w, lo, write);
      }
    } else if (pteZero(lo)) {
      if (write) {
        // wp_page_copy(): the zero page's translation goes with ptep_clear_flush().
        mapNewPage(k, vma, w, true);
        mm.flushTlbPage(base + i * PAGE_SIZE);
      }
    } else if (!write) {
      u32[w] = withPteBits(lo, PTE.YOUNG);
    } else if ((vma.flags & VMA.VM_WRITE) !== 0 && pteNormal(lo) && k.sharers.has(folioPfn(lo, u32[w + 1]))) {
      copyOnWrite(k, mm, vma, base + i * PAGE_SIZE, w);
    } else {
      u32[w] = withPteBits(lo, writeBits);
    }
  }
}

/** `do_huge_pmd_anonymous_page()`: a PMD-sized folio at fault time, if allowed and free. */
function tryHugeFault(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, write: boolean): boolean {
  const addr = pmdNo * PMD_SIZE;
  if (addr < vmaHstart(vma) || addr + PMD_SIZE > vmaHend(vma)) return false;
  if (!thpVmaAllowable(k.tunables, mm, vma, "fault")) return false;
  // vmf_anon_prepare() and khugepaged_enter_vma() come before the allocation: a
  // fault that falls back to small pages has still registered the mm.
  vma.anonVma = true;
  k.khugepagedEnterVma(mm, vma);
  // A read maps the huge zero page (use_zero_page, the default); a write, a THP of its own.
  if (!write && k.tunables.use_zero_page) return mapHugeZeroPmd(k, mm, pmdNo);
  return allocThp(k, mm, vma, pmdNo, write);
}

/** `vma_alloc_anon_folio_pmd()` and its mapping at PMD `pmdNo`; false when no 2 MiB block is free. */
function allocThp(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, write: boolean): boolean {
  const head = k.phys.allocHuge();
  if (head < 0) {
    k.vmstat.thp_fault_fallback++;
    countMthpStat(k.mthpStats, PMD_ORDER, "anon_fault_fallback");
    return false;
  }
  k.vmstat.thp_fault_alloc++;
  countMthpStat(k.mthpStats, PMD_ORDER, "anon_fault_alloc");
  mm.pt.setEntry(pmdNo, (PMD.HUGE | (head >>> 9)) >>> 0);
  mm.huge.set(pmdNo, { head, young: true, dirty: write, swapbacked: (vma.flags & VMA.VM_DROPPABLE) === 0 });
  return true;
}

/**
 * `do_huge_zero_wp_pmd()`: a write to the huge zero page maps a new THP in its place
 * (the zero PMD's translation flushed first); returns false after splitting the zero
 * PMD when no THP can be had.
 */
function hugeZeroWpFault(k: Kernel, mm: Mm, vma: Vma, pmdNo: number): boolean {
  if (!allocThp(k, mm, vma, pmdNo, true)) {
    splitHugeZeroPmd(k, mm, pmdNo);
    return false;
  }
  mm.hugeZero.delete(pmdNo);
  mm.flushHugePmdTlb(pmdNo);
  return true;
}

function allocPage(k: Kernel): number {
  const pfn = k.phys.allocPage();
  if (pfn < 0) throw new SyscallError("ENOMEM", "Out of memory: no free page for a fault (raise memory.totalBytes)");
  return pfn;
}

/** A fault on a none PTE or a swap entry. */
function faultPage(k: Kernel, vma: Vma, w: number, lo: number, write: boolean): void {
  const u32 = k.core.u32;
  if (lo === 0 && !write) {
    // A first read maps the shared zero page and needs no anon_vma.
    u32[w] = PTE.PRESENT | PTE.ZERO | PTE.YOUNG;
    u32[w + 1] = 0;
    return;
  }
  if (pteSwap(lo)) k.vmstat.pswpin++;
  vma.anonVma = true;
  mapNewPage(k, vma, w, write);
}

/** Point the PTE at word `w` at a newly allocated private page. */
function mapNewPage(k: Kernel, vma: Vma, w: number, write: boolean): void {
  const u32 = k.core.u32;
  u32[w + 1] = allocPage(k);
  u32[w] = newAnonLo(vma, write);
}

/**
 * Break COW on a page another mm maps: this mm gets a private copy, and the shared
 * page's translation goes (wp_page_copy()'s ptep_clear_flush(), one INVLPG).
 */
function copyOnWrite(k: Kernel, mm: Mm, vma: Vma, addr: number, w: number): void {
  const u32 = k.core.u32;
  const lo = u32[w], pfn = u32[w + 1];
  mapNewPage(k, vma, w, true);
  mm.flushTlbPage(addr);
  unmapPage(k, mm, addr, lo, pfn);
}
