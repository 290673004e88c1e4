/**
 * Small operations on PTE words in core memory that the system calls share: reading
 * and writing a PTE, building the PTE of a new anonymous page, and giving a page's
 * mapping up (freeing the page, or telling its other mapper it is private again).
 */
import { PTE, VMA } from "../core/layout.ts";
import {
  folioDirty, folioOrder, folioPfn, pteDirty, pteNormal, withFolioMapcount, withFolioOrder, withFolioPins,
} from "../core/pte.ts";
import type { Kernel, Sharers } from "./kernel.ts";
import { type Mm, pmdOf, pteIndexOf } from "./mm.ts";
import type { Vma } from "./vma.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";

/** Word index of PTE `i`'s low word in table `t`. */
export function pteWord(t: number, i: number): number {
  return (t >>> 2) + 2 * i;
}

/** Low word of a freshly faulted anonymous page (`folio_add_new_anon_rmap` + LRU add). */
export function newAnonLo(vma: Vma, write: boolean, order = 0): number {
  let lo = PTE.PRESENT | PTE.YOUNG | PTE.FOLIO_ANON | PTE.FOLIO_LRU;
  // A VM_DROPPABLE folio is never swap-backed: it is lazy-free from birth.
  if ((vma.flags & VMA.VM_DROPPABLE) === 0) lo |= PTE.FOLIO_SWAPBACKED;
  if (write) lo |= PTE.DIRTY;
  if (write && (vma.flags & VMA.VM_WRITE) !== 0) lo |= PTE.WRITE;
  lo = withFolioOrder(lo, order);
  return withFolioMapcount(lo, 1);
}

/**
 * Call `fn(u32, w, addr)` for each PTE of `mm` in [from, to), a range within PMD
 * `pmdNo`, with `w` the PTE's word index, after making the PMD's table its own (a
 * synthetic map's alike PMDs share one); nothing when the PMD has no table. The view
 * is renewed per PTE: `fn` may grow core memory (unmapping a shared page can copy
 * another mm's table), and a view taken before that would drop writes past its end.
 */
export function forEachPte(
  mm: Mm, pmdNo: number, from: number, to: number, fn: (u32: Uint32Array, w: number, addr: number) => void,
): void {
  const t = mm.pt.writableTableIfAny(pmdNo);
  if (t === 0) return;
  const first = pteIndexOf(from);
  for (let i = first, addr = from; addr < to; i++, addr += 4096) fn(mm.pt.core.u32, pteWord(t, i), addr);
}

/**
 * The mapping of the normal page `pfn` at `addr` in `mm` goes away (callers clear the
 * PTE afterwards). A page of a folio no other mm maps is freed. For a shared folio,
 * `mm` leaves its sharers once it maps no page of it any more, and the last one left
 * sees the folio as exclusive again (`folio_maybe_mapped_shared()` turns false). A
 * shared large folio stays allocated while any mm maps part of it (its memory is
 * released by the last mapper).
 */
export function unmapPage(k: Kernel, mm: Mm, addr: number, lo: number, pfn: number): void {
  const order = folioOrder(lo);
  const head = folioPfn(lo, pfn);
  const sh = k.sharers.get(head);
  if (!sh) {
    k.phys.freePage(pfn);
    return;
  }
  if (order !== 0 && mapsFolioElsewhere(mm, head, order, addr)) return;
  sh.mms.delete(mm);
  if (sh.mms.size === 1) {
    const [other] = sh.mms;
    k.sharers.delete(head);
    // An exclusive PMD-sized folio mapped by PTEs gives its pages back one by one (an
    // mTHP's pages came from allocOrder() and are freed one by one already).
    if (order === PMD_ORDER && !other.huge.has(pmdOf(sh.addr))) k.phys.splitHuge(head);
    setFolioMapcount(other, sh.addr, head, order, 1);
  }
}

/** Whether `mm` maps a page of the folio `head` (order `order`) other than the one at `addr`. */
function mapsFolioElsewhere(mm: Mm, head: number, order: number, addr: number): boolean {
  const pmdNo = pmdOf(addr);
  if (mm.huge.get(pmdNo)?.head === head) return true;
  const t = mm.pt.table(pmdNo);
  if (t === 0) return false;
  const u32 = mm.pt.core.u32;
  const skip = pteIndexOf(addr);
  for (let i = 0; i < 512; i++) if (i !== skip && mapsFolioPage(u32, pteWord(t, i), head, order)) return true;
  return false;
}

/**
 * Set the mapcount field of every PTE of `mm`'s table at `addr` that maps the folio
 * whose head is `head` (order `order`); a PMD mapping has no field to set.
 */
export function setFolioMapcount(mm: Mm, addr: number, head: number, order: number, n: number): void {
  updateFolioPtes(mm, addr, head, order, (lo) => withFolioMapcount(lo, n));
}

/** Rewrite with `fn` every PTE of `mm`'s table at `addr` that maps the folio `head` (order `order`). */
function updateFolioPtes(mm: Mm, addr: number, head: number, order: number, fn: (lo: number) => number): void {
  const t = mm.pt.writableTableIfAny(pmdOf(addr));
  if (t === 0) return;
  const u32 = mm.pt.core.u32;
  const [first, last] = folioPteRange(addr, order);
  for (let i = first; i <= last; i++) {
    const w = pteWord(t, i);
    if (mapsFolioPage(u32, w, head, order)) u32[w] = fn(u32[w]);
  }
}

/**
 * Whether the folio of the normal page `pfn` (low word `lo`) that `mm` maps at `addr`
 * is dirty: PG_dirty, or a dirty PTE or PMD of it in any mm that maps it, which
 * `try_to_unmap_one()` would hand to the folio as it unmaps each.
 */
export function folioDirtyAnywhere(sharers: Sharers, mm: Mm, addr: number, lo: number, pfn: number): boolean {
  if (folioDirty(lo)) return true;
  const order = folioOrder(lo);
  const head = folioPfn(lo, pfn);
  for (const [m, at] of folioMappers(sharers, mm, addr, head)) {
    const h = m.huge.get(pmdOf(at));
    if (h?.head === head) {
      if (h.dirty) return true;
      continue;
    }
    const t = m.pt.table(pmdOf(at));
    if (t === 0) continue;
    const u32 = m.pt.core.u32;
    const [first, last] = folioPteRange(at, order);
    for (let i = first; i <= last; i++) {
      const w = pteWord(t, i);
      if (mapsFolioPage(u32, w, head, order) && pteDirty(u32[w])) return true;
    }
  }
  return false;
}

/**
 * Set or clear folio flags (`PTE.FOLIO_*` bits) of the folio of the normal page `pfn`
 * (low word `lo`) that `mm` maps at `addr`: the model copies a folio's flags into
 * every PTE that maps it, so the change reaches each of them in every mm that maps
 * the folio, and a huge PMD mapping it (its swap-backed state).
 */
export function setFolioFlags(sharers: Sharers, mm: Mm, addr: number, lo: number, pfn: number, set: number, clear: number): void {
  const order = folioOrder(lo);
  const head = folioPfn(lo, pfn);
  for (const [m, at] of folioMappers(sharers, mm, addr, head)) {
    const h = m.huge.get(pmdOf(at));
    if (h?.head === head) {
      if ((set & PTE.FOLIO_SWAPBACKED) !== 0) h.swapbacked = true;
      if ((clear & PTE.FOLIO_SWAPBACKED) !== 0) h.swapbacked = false;
      continue;
    }
    updateFolioPtes(m, at, head, order, (old) => (old | set) & ~clear);
  }
}

/** Each mm that maps the folio `head` with the address it maps it at: its sharers after fork, else `mm` at `addr`. */
function folioMappers(sharers: Sharers, mm: Mm, addr: number, head: number): Array<[Mm, number]> {
  const sh = sharers.get(head);
  return sh ? [...sh.mms].map((m): [Mm, number] => [m, sh.addr]) : [[mm, addr]];
}

/** The PTE indexes of the table at `addr` that may map a folio of `order`: its one PTE for a base page, else all 512. */
function folioPteRange(addr: number, order: number): [number, number] {
  const first = order === 0 ? pteIndexOf(addr) : 0;
  return [first, order === 0 ? first : 511];
}

/** Whether the PTE at word `w` maps a normal page of the folio `head` (order `order`). */
function mapsFolioPage(u32: Uint32Array, w: number, head: number, order: number): boolean {
  return pteNormal(u32[w]) && u32[w + 1] - head >= 0 && u32[w + 1] - head < 1 << order;
}

/**
 * `split_huge_pmd()`: replace a huge PMD by a PTE table mapping the same order-9 folio
 * page by page, keeping its dirty, lazy-free and sharing state. The folio itself is
 * not split, as in the kernel (the deferred-split shrinker does that later).
 */
export function splitHugePmd(k: Kernel, mm: Mm, vma: Vma, pmdNo: number): void {
  const h = mm.huge.get(pmdNo);
  if (!h) throw new RangeError(`PMD 0x${pmdNo.toString(16)} of ${mm.name} is not huge`);
  mm.huge.delete(pmdNo);
  mm.pt.setEntry(pmdNo, 0);
  // pmdp_invalidate() flushes the huge PMD's one translation (flush_pmd_tlb_range()).
  mm.flushHugePmdTlb(pmdNo);
  const t = mm.pt.writableTable(pmdNo);
  const shared = k.sharers.get(h.head);
  let lo = PTE.PRESENT | PTE.FOLIO_ANON | PTE.FOLIO_LRU;
  if (h.young) lo |= PTE.YOUNG;
  if (h.swapbacked) lo |= PTE.FOLIO_SWAPBACKED;
  // __split_huge_pmd_locked() hands a dirty PMD's bit to the PTEs and to the folio (PG_dirty).
  if (h.dirty) lo |= PTE.DIRTY | PTE.FOLIO_DIRTY;
  if (!shared && (vma.flags & VMA.VM_WRITE) !== 0) lo |= PTE.WRITE;
  lo = withFolioMapcount(withFolioOrder(lo, 9), shared ? shared.mms.size : 1);
  const u32 = mm.pt.core.u32;
  for (let i = 0; i < 512; i++) {
    const w = pteWord(t, i);
    u32[w] = h.pins ? withFolioPins(lo, h.pins[i]) : lo;
    u32[w + 1] = h.head + i;
  }
  // An exclusive folio's pages are now freed one by one as their PTEs go.
  if (!shared) k.phys.splitHuge(h.head);
  k.vmstat.thp_split_pmd++;
}
