/**
 * madvise(2) for anonymous memory: MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_FREE,
 * MADV_DONTNEED and MADV_COLLAPSE, with the kernel's argument checks.
 */
import { PTE, PTE_FIELD, VMA } from "../core/layout.ts";
import { pteField } from "../core/pte.ts";
import { madviseCollapse } from "../khugepaged/madvise_collapse.ts";
import { SyscallError } from "./fault.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord, setFolioMapcount, splitHugePmd, unmapPage } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE, type Vma } from "./vma.ts";

export const MADV_ADVICES = ["MADV_HUGEPAGE", "MADV_NOHUGEPAGE", "MADV_FREE", "MADV_DONTNEED", "MADV_COLLAPSE"] as const;
export type Advice = (typeof MADV_ADVICES)[number];

/** madvise(start, len, advice); returns 0 or throws a SyscallError with the kernel's errno. */
export function madvise(k: Kernel, mm: Mm, start: number, len: number, advice: string): number {
  if (!(MADV_ADVICES as readonly string[]).includes(advice)) {
    throw new SyscallError("EINVAL", `madvise: unknown advice "${advice}", expected one of ${MADV_ADVICES.join(", ")}`);
  }
  if (!Number.isInteger(start) || start % PAGE_SIZE !== 0) {
    throw new SyscallError("EINVAL", `madvise: start must be page aligned, got 0x${start.toString(16)}`);
  }
  if (!(Number.isInteger(len) && len >= 0)) throw new SyscallError("EINVAL", `madvise: len must be a non-negative integer, got ${len}`);
  const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (end === start) return 0;
  const vmas = mm.vmasIn(start, end);
  if (!vmas) throw new SyscallError("ENOMEM", `madvise: [0x${start.toString(16)}, 0x${end.toString(16)}) is not fully mapped`);
  switch (advice as Advice) {
    case "MADV_HUGEPAGE":
      for (const v of vmas) {
        v.flags = (v.flags | VMA.VM_HUGEPAGE) & ~VMA.VM_NOHUGEPAGE;
        k.khugepagedEnterVma(mm, v);
      }
      return 0;
    case "MADV_NOHUGEPAGE":
      // The mm stays on khugepaged's list; the VMA is merely skipped from now on.
      for (const v of vmas) v.flags = (v.flags | VMA.VM_NOHUGEPAGE) & ~VMA.VM_HUGEPAGE;
      return 0;
    case "MADV_FREE":
      for (const v of vmas) forEachPmdRange(k, mm, v, start, end, madviseFreeRange);
      return 0;
    case "MADV_DONTNEED":
      for (const v of vmas) forEachPmdRange(k, mm, v, start, end, zapRange);
      return 0;
    case "MADV_COLLAPSE":
      return madviseCollapse(k, mm, start, end);
  }
}

type RangeFn = (k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number) => void;

/** Call `fn` for each PMD's share of [start, end) ∩ vma, splitting huge PMDs partly covered. */
function forEachPmdRange(k: Kernel, mm: Mm, vma: Vma, start: number, end: number, fn: RangeFn): void {
  const lo = Math.max(start, vma.start), hi = Math.min(end, vma.end);
  for (let addr = lo; addr < hi;) {
    const pmdNo = Math.floor(addr / PMD_SIZE);
    const to = Math.min(hi, (pmdNo + 1) * PMD_SIZE);
    if (mm.huge.has(pmdNo) && (addr % PMD_SIZE !== 0 || to - addr < PMD_SIZE)) splitHugePmd(k, mm, vma, pmdNo);
    fn(k, mm, vma, pmdNo, addr, to);
    addr = to;
  }
}

/**
 * MADV_FREE on one PMD's range (`madvise_free_pte_range`): swap entries are dropped,
 * present private pages get clean, old PTEs and their folios become lazy-free
 * (anon, !swapbacked). The kernel defers the LRU move to a per-CPU batch that
 * khugepaged drains at the start of every pass; we apply it at once.
 */
function madviseFreeRange(k: Kernel, mm: Mm, _vma: Vma, pmdNo: number, from: number, to: number): void {
  const h = mm.huge.get(pmdNo);
  if (h) {
    if (k.sharers.has(h.head)) return;
    if (h.swapbacked) k.vmstat.pglazyfree += 512;
    h.dirty = false;
    h.swapbacked = false;
    return;
  }
  const t = mm.pt.table(pmdNo);
  if (t === 0) return;
  splitPartlyCoveredFolios(mm, t, from, to);
  const u32 = k.core.u32;
  for (let addr = from; addr < to; addr += PAGE_SIZE) {
    const w = pteWord(t, (addr % PMD_SIZE) / PAGE_SIZE);
    const lo = u32[w];
    if (lo === 0) continue;
    if ((lo & PTE.PRESENT) === 0) {
      // The swap slot is freed; the next touch faults a fresh zero-filled page.
      u32[w] = 0;
      u32[w + 1] = 0;
      continue;
    }
    if (!isNormalPage(lo)) continue;
    let next = lo & ~(PTE.YOUNG | PTE.DIRTY | PTE.FOLIO_REFERENCED);
    if ((lo & PTE.FOLIO_SWAPBACKED) !== 0 && (lo & PTE.FOLIO_SWAPCACHE) === 0) {
      next &= ~PTE.FOLIO_SWAPBACKED;
      k.vmstat.pglazyfree++;
    }
    u32[w] = next;
  }
}

/**
 * A large folio only partly inside a MADV_FREE range is split first (when it is
 * exclusive); its pages then become separate small folios.
 */
function splitPartlyCoveredFolios(mm: Mm, t: number, from: number, to: number): void {
  const first = (from % PMD_SIZE) / PAGE_SIZE;
  const last = (to - 1) % PMD_SIZE / PAGE_SIZE | 0;
  if (first === 0 && last === 511) return;
  const u32 = mm.pt.core.u32;
  for (let i = 0; i < 512; i++) {
    const w = pteWord(t, i);
    const lo = u32[w];
    if (!isNormalPage(lo) || pteField(lo, PTE_FIELD.ORDER) === 0 || pteField(lo, PTE_FIELD.MAPCOUNT) > 1) continue;
    u32[w] = lo & ~(((1 << PTE_FIELD.ORDER.bits) - 1) << PTE_FIELD.ORDER.shift);
  }
}

/** MADV_DONTNEED on one PMD's range: unmap and free. The empty PTE table stays. */
export function zapRange(k: Kernel, mm: Mm, _vma: Vma, pmdNo: number, from: number, to: number): void {
  const h = mm.huge.get(pmdNo);
  if (h) {
    mm.huge.delete(pmdNo);
    mm.pt.setEntry(pmdNo, 0);
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
  const t = mm.pt.table(pmdNo);
  if (t === 0) return;
  const u32 = k.core.u32;
  for (let addr = from; addr < to; addr += PAGE_SIZE) {
    const w = pteWord(t, (addr % PMD_SIZE) / PAGE_SIZE);
    const lo = u32[w];
    if (isNormalPage(lo)) unmapPage(k, mm, addr, lo, u32[w + 1]);
    u32[w] = 0;
    u32[w + 1] = 0;
  }
}
