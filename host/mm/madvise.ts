/**
 * madvise(2) for anonymous memory: MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_FREE,
 * MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT and MADV_COLLAPSE, with the kernel's argument
 * checks and its walk over the VMAs of the range (`madvise_walk_vmas`).
 */
import { PTE, PTE_FIELD, VMA } from "../core/layout.ts";
import {
  folioDirty, folioMapcount, folioOrder, folioPfn, folioSwapbacked, folioSwapcache, pteDirty, pteNormal, ptePresent,
  pteYoung, withPteBits,
} from "../core/pte.ts";
import { SyscallError } from "./fault.ts";
import type { Kernel } from "./kernel.ts";
import { type Mm, pmdOf } from "./mm.ts";
import { MmuGather } from "./mmu_gather.ts";
import { forEachPte, pteWord, setFolioFlags, splitHugePmd } from "./pte_ops.ts";
import { pageoutRange } from "./reclaim.ts";
import { splitHugeZeroPmd } from "./huge_zero.ts";
import { zapRange } from "./zap.ts";
import { PAGE_SIZE, PMD_SIZE, type Vma } from "./vma.ts";

export const MADV_ADVICES = [
  "MADV_HUGEPAGE", "MADV_NOHUGEPAGE", "MADV_FREE", "MADV_DONTNEED", "MADV_COLD", "MADV_PAGEOUT", "MADV_COLLAPSE",
] as const;
export type Advice = (typeof MADV_ADVICES)[number];

/**
 * madvise(start, len, advice); returns 0 (MADV_COLLAPSE: 0 or a negative errno, as
 * `madvise_collapse()` reports it) or throws a SyscallError with the kernel's errno.
 * As in the kernel, a range with holes is still advised where it is mapped, and then
 * fails with ENOMEM.
 */
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
  // The walk's VMAs and the hole are taken before any VMA is split or merged.
  const { vmas, hole } = vmasInRange(mm, start, end);
  const enomem = () =>
    new SyscallError("ENOMEM", `madvise: [0x${start.toString(16)}, 0x${end.toString(16)}) is not fully mapped`);
  const a = advice as Advice;
  if (a === "MADV_HUGEPAGE" || a === "MADV_NOHUGEPAGE") {
    updateVmaFlags(k, mm, vmas, start, end, a);
    if (hole) throw enomem();
    return 0;
  }
  // MADV_FREE and MADV_DONTNEED gather the entries they change over every VMA of the
  // call and flush once at the end (madvise_init_tlb()): x86 selects
  // MMU_GATHER_MERGE_VMAS, so tlb_end_vma() does not flush between VMAs. MADV_COLD
  // gathers and flushes per VMA (madvise_cold()). MADV_PAGEOUT gathers nothing here:
  // its flush comes from reclaim (pageoutRange). MADV_COLLAPSE flushes as it collapses.
  const batched = new MmuGather(mm);
  // Advice that changes no VMA flag walks the VMAs as they are: no split, no merge.
  for (const v of vmas) {
    const from = Math.max(start, v.start), to = Math.min(end, v.end);
    if (a === "MADV_COLLAPSE") {
      const err = k.hooks.madviseCollapse(mm, v, from, to);
      if (err !== 0) return err;
    } else if (a === "MADV_COLD") {
      const tlb = new MmuGather(mm);
      forEachPmdRange(k, mm, v, from, to, tlb, coldRange);
      tlb.finish();
    } else {
      forEachPmdRange(k, mm, v, from, to, batched, RANGE_ADVICE[a], a !== "MADV_FREE");
    }
  }
  batched.finish();
  if (hole) throw enomem();
  return 0;
}

/** The VMAs overlapping [start, end), in address order, and whether part of the range is unmapped. */
function vmasInRange(mm: Mm, start: number, end: number): { vmas: Vma[]; hole: boolean } {
  const vmas = mm.vmasOverlapping(start, end);
  let at = start;
  for (const v of vmas) {
    if (v.start > at) return { vmas, hole: true };
    at = v.end;
  }
  return { vmas, hole: at < end };
}

/**
 * MADV_HUGEPAGE / MADV_NOHUGEPAGE (`madvise_update_vma` + `hugepage_madvise`) on the
 * `vmas` overlapping [start, end): a VMA whose flags change is split at the range's ends
 * (a huge PMD straddling a split point is split first, as `vma_adjust_trans_huge()`
 * does), and alike neighbours merge again.
 */
function updateVmaFlags(
  k: Kernel, mm: Mm, vmas: Vma[], start: number, end: number, advice: "MADV_HUGEPAGE" | "MADV_NOHUGEPAGE",
): void {
  for (const v of vmas) {
    const flags = advice === "MADV_HUGEPAGE"
      ? (v.flags | VMA.VM_HUGEPAGE) & ~VMA.VM_NOHUGEPAGE
      : (v.flags | VMA.VM_NOHUGEPAGE) & ~VMA.VM_HUGEPAGE;
    // hugepage_madvise() offers the VMA to khugepaged with the new flags before the VMA
    // is touched, whether or not they change. MADV_NOHUGEPAGE does not deregister the
    // mm: its VMA is merely skipped from now on.
    if (advice === "MADV_HUGEPAGE") k.khugepagedEnterVma(mm, { ...v, flags });
    if (flags === v.flags) continue;
    const from = Math.max(start, v.start), to = Math.min(end, v.end);
    splitVmaAt(k, mm, from);
    splitVmaAt(k, mm, to);
    const target = mm.findVma(from)!;
    target.flags = flags;
  }
  mm.mergeAround(start, end);
}

/** `__split_vma()` at `addr`, splitting a huge PMD that would straddle the cut. */
function splitVmaAt(k: Kernel, mm: Mm, addr: number): void {
  const vma = mm.findVma(addr);
  if (!vma || vma.start === addr) return;
  const pmdNo = pmdOf(addr);
  if (addr % PMD_SIZE !== 0 && mm.huge.has(pmdNo)) splitHugePmd(k, mm, vma, pmdNo);
  if (addr % PMD_SIZE !== 0 && mm.hugeZero.has(pmdNo)) splitHugeZeroPmd(k, mm, pmdNo);
  mm.splitAt(addr);
}

type RangeFn = (k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number, tlb: MmuGather) => void;

/** The per-PMD handler of each advice that walks the page tables in one gather (MADV_COLD has one per VMA). */
type BatchedAdvice = Exclude<Advice, "MADV_HUGEPAGE" | "MADV_NOHUGEPAGE" | "MADV_COLLAPSE" | "MADV_COLD">;
const RANGE_ADVICE: Record<BatchedAdvice, RangeFn> = {
  MADV_FREE: madviseFreeRange,
  MADV_DONTNEED: dontneedRange,
  MADV_PAGEOUT: pageoutRange,
};

/**
 * Call `fn` for each PMD's share of [start, end) ∩ vma, splitting huge PMDs partly
 * covered first unless `fn` decides that itself (`split` false).
 */
function forEachPmdRange(
  k: Kernel, mm: Mm, vma: Vma, start: number, end: number, tlb: MmuGather, fn: RangeFn, split = true,
): void {
  const lo = Math.max(start, vma.start), hi = Math.min(end, vma.end);
  for (let addr = lo; addr < hi;) {
    const pmdNo = Math.floor(addr / PMD_SIZE);
    const to = Math.min(hi, (pmdNo + 1) * PMD_SIZE);
    if (split && mm.huge.has(pmdNo) && (addr % PMD_SIZE !== 0 || to - addr < PMD_SIZE)) splitHugePmd(k, mm, vma, pmdNo);
    fn(k, mm, vma, pmdNo, addr, to, tlb);
    addr = to;
  }
}

/**
 * MADV_FREE on one PMD's range (`madvise_free_pte_range`): swap entries are dropped,
 * present private pages get clean, old PTEs and their folios become lazy-free
 * (anon, !swapbacked). The kernel defers the LRU move to a per-CPU batch that
 * khugepaged drains at the start of every pass; we apply it at once.
 */
function madviseFreeRange(
  k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number, tlb: MmuGather,
): void {
  const h = mm.huge.get(pmdNo);
  // madvise_free_huge_pmd(): a THP another mm maps is skipped before any split.
  if (h && k.sharers.has(h.head)) return;
  if (h && to - from < PMD_SIZE) splitHugePmd(k, mm, vma, pmdNo);
  else if (h) {
    if (h.swapbacked) k.vmstat.pglazyfree += 512;
    // madvise_free_huge_pmd(): the PMD is made old and clean, the folio lazy-free. Only
    // a young or dirty PMD is rewritten, and so gathered.
    if (h.young || h.dirty) tlb.pmd(pmdNo * PMD_SIZE);
    mm.pt.touch(pmdNo);
    h.young = false;
    h.dirty = false;
    h.swapbacked = false;
    return;
  }
  // A synthetic map's alike PMDs share one table: copy it before changing this PMD's PTEs.
  const t = mm.pt.writableTableIfAny(pmdNo);
  if (t === 0) return;
  splitPartlyCoveredFolios(mm, t, from, to);
  forEachPte(mm, pmdNo, from, to, (u32, w, addr) => {
    const lo = u32[w];
    if (lo === 0) return;
    if (!ptePresent(lo)) {
      // The swap slot is freed; the next touch faults a fresh zero-filled page.
      u32[w] = 0;
      u32[w + 1] = 0;
      return;
    }
    if (!pteNormal(lo)) return;
    if (folioMapcount(lo) > 1) {
      // Another mm maps the folio: a large one only partly in range is left alone
      // (folio_maybe_mapped_shared()), and so is a PG_dirty or swap-cache one
      // (folio_mapcount() != folio_nr_pages()).
      if (folioOrder(lo) !== 0 && !folioWhollyIn(lo, u32[w + 1], addr, from, to)) return;
      if (folioDirty(lo) || folioSwapcache(lo)) return;
    }
    if (pteYoung(lo) || pteDirty(lo)) tlb.pte(addr);
    // folio_clear_dirty() of an exclusive folio; the PTE is made clean and old.
    u32[w] = withPteBits(lo, 0, PTE.YOUNG | PTE.DIRTY | PTE.FOLIO_REFERENCED | PTE.FOLIO_DIRTY);
    // folio_mark_lazyfree(): the folio's state, in every mm that maps it, counted once
    // per folio (its other PTEs are then !swapbacked already).
    if (folioSwapbacked(lo) && !folioSwapcache(lo)) {
      setFolioFlags(k.sharers, mm, addr, lo, u32[w + 1], 0, PTE.FOLIO_SWAPBACKED);
      k.vmstat.pglazyfree += 1 << folioOrder(lo);
    }
  });
}

/** Whether every page of the folio of the page at `addr` (low word `lo`, pfn `pfn`) lies in [from, to). */
function folioWhollyIn(lo: number, pfn: number, addr: number, from: number, to: number): boolean {
  const first = addr - (pfn - folioPfn(lo, pfn)) * PAGE_SIZE;
  return first >= from && first + (PAGE_SIZE << folioOrder(lo)) <= to;
}

/**
 * MADV_COLD on one PMD's range (`madvise_cold_or_pageout_pte_range` without pageout):
 * exclusive folios are made old (PTE young bit and folio referenced flag cleared) and
 * deactivated, so that they look unused to reclaim and to khugepaged alike.
 */
function coldRange(k: Kernel, mm: Mm, _vma: Vma, pmdNo: number, from: number, to: number, tlb: MmuGather): void {
  const h = mm.huge.get(pmdNo);
  if (h) {
    if (k.sharers.has(h.head)) return;
    // Only a young entry is rewritten, and so gathered.
    if (h.young) tlb.pmd(pmdNo * PMD_SIZE);
    h.young = false;
    return;
  }
  forEachPte(mm, pmdNo, from, to, (u32, w, addr) => {
    const lo = u32[w];
    // Do not interfere with other mappings of the folio.
    if (!pteNormal(lo) || folioMapcount(lo) > 1) return;
    if (pteYoung(lo)) tlb.pte(addr);
    u32[w] = withPteBits(lo, 0, PTE.YOUNG | PTE.FOLIO_REFERENCED);
  });
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
    if (!pteNormal(lo) || folioOrder(lo) === 0 || folioMapcount(lo) > 1) continue;
    u32[w] = lo & ~(((1 << PTE_FIELD.ORDER.bits) - 1) << PTE_FIELD.ORDER.shift);
  }
}

/**
 * MADV_DONTNEED on one PMD's range (`madvise_dontneed_single_vma()`, which asks for
 * `reclaim_pt`): zap it, and when it covers the whole PMD, free the PTE table it leaves
 * empty (CONFIG_PT_RECLAIM, x86-64 since 6.14). The PMD is none again, so khugepaged sees
 * no table there and the next fault may map a THP.
 */
function dontneedRange(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, from: number, to: number, tlb: MmuGather): void {
  zapRange(k, mm, pmdNo, from, to, tlb);
  if (to - from < PMD_SIZE || mm.pt.table(pmdNo) === 0) return;
  mm.pt.dropTable(pmdNo);
  tlb.pteTable(pmdNo * PMD_SIZE);
}
