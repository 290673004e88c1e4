/**
 * A captured page as the low word of a model PTE (host/core/layout.ts). /proc shows the
 * folio's state but not every PTE bit, so three bits are inferred, each as documented here:
 *
 * - young: page_idle, when the capture used it (--idle-wait): accessed during the wait.
 *   Without it, young is unknown and taken as set, as a page just faulted in leaves it
 *   (the kernel's scan also counts PG_referenced, which kpageflags does show).
 * - dirty: kpageflags' PG_dirty, or a swap-backed anonymous folio: anonymous memory is
 *   written when it is faulted in, and only MADV_FREE (which clears swap-backed) makes a
 *   folio clean again; the PTE dirty bit itself is not exported.
 * - write: the VMA is writable and the folio is exclusively mapped (pagemap bit 56): fork
 *   write-protects the PTEs of every shared folio, and a fault on an exclusive one
 *   reuses it writable. It misjudges one case: a page whose sharer has since copied it
 *   (or exited) is exclusive again but stays write-protected until its next write fault.
 *
 * Sharing is pagemap's exclusivity: mapcount 1 when exclusive, 2 when it may be shared,
 * which is the test khugepaged makes (`folio_maybe_mapped_shared`).
 */
import { PTE, PTE_FIELD } from "../core/layout.ts";
import { withPteField } from "../core/pte.ts";
import { PAGE, type SnapshotSources } from "./snapshot.ts";

/** Bits copied from a captured page's flags to the PTE's folio state. */
const FOLIO_BITS: ReadonlyArray<readonly [number, number]> = [
  [PAGE.ANON, PTE.FOLIO_ANON], [PAGE.SWAPBACKED, PTE.FOLIO_SWAPBACKED], [PAGE.LRU, PTE.FOLIO_LRU],
  [PAGE.LOCKED, PTE.FOLIO_LOCKED], [PAGE.REFERENCED, PTE.FOLIO_REFERENCED], [PAGE.SWAPCACHE, PTE.FOLIO_SWAPCACHE],
];

/**
 * The low PTE word of a captured page of a private anonymous VMA (0 for pte_none), the
 * pfn aside. Without kpageflags a present page is a fresh anonymous one of order 0.
 */
export function pagePteLo(flags: number, order: number, vmaWritable: boolean, sources: SnapshotSources): number {
  if ((flags & PAGE.SWAP) !== 0) return PTE.SWAP;
  if ((flags & PAGE.PRESENT) === 0) return 0;
  if ((flags & PAGE.ZERO) !== 0) return PTE.PRESENT | PTE.ZERO;
  const folio = sources.kpageflags ? flags : flags | PAGE.ANON | PAGE.SWAPBACKED | PAGE.LRU;
  const exclusive = (flags & PAGE.EXCLUSIVE) !== 0;
  let lo: number = PTE.PRESENT;
  for (const [page, pte] of FOLIO_BITS) if ((folio & page) !== 0) lo |= pte;
  const young = sources.pageIdle ? (flags & PAGE.YOUNG) !== 0 : true;
  if (young) lo |= PTE.YOUNG;
  if ((folio & PAGE.DIRTY) !== 0 || (folio & (PAGE.ANON | PAGE.SWAPBACKED)) === (PAGE.ANON | PAGE.SWAPBACKED)) lo |= PTE.DIRTY;
  if (vmaWritable && exclusive) lo |= PTE.WRITE;
  lo = withPteField(lo, PTE_FIELD.ORDER, Math.min(order, 9));
  return withPteField(lo, PTE_FIELD.MAPCOUNT, exclusive ? 1 : 2);
}
