// A probe for test/layout.test.ts: decodes one field of a host-written PTE through the
// same accessors the scan uses, proving that host and core agree on the bit layout.
import {
  PTE_DIRTY, PTE_FIELD_MAPCOUNT_BITS, PTE_FIELD_MAPCOUNT_SHIFT, PTE_FIELD_ORDER_BITS, PTE_FIELD_ORDER_SHIFT,
  PTE_FIELD_PINS_BITS, PTE_FIELD_PINS_SHIFT, PTE_FOLIO_ANON, PTE_FOLIO_LOCKED, PTE_FOLIO_LRU,
  PTE_FOLIO_REFERENCED, PTE_FOLIO_SWAPBACKED, PTE_FOLIO_SWAPCACHE, PTE_FOLIO_DIRTY, PTE_PRESENT, PTE_SPECIAL, PTE_SWAP,
  PTE_UFFD_WP, PTE_WRITE, PTE_YOUNG, PTE_ZERO,
} from "./generated/layout";
import {
  folioAnon, folioDirty, folioLazyfree, folioLocked, folioLru, folioMapcount, folioMaybeMappedShared, folioOrder,
  folioPfn, folioPins, folioReferenced, folioSwapbacked, folioSwapcache, pteCleanLazyfree, pteDirty, pteHi, pteLo,
  pteNoneOrZero, pteNormal, ptePresent, pteReferenced, pteSpecial, pteSwap, pteUffdWp, pteWrite, pteYoung, pteZero,
} from "./pte";

@inline const ORDER_MASK: u32 = ((1 << PTE_FIELD_ORDER_BITS) - 1) << PTE_FIELD_ORDER_SHIFT;
@inline const MAPCOUNT_MASK: u32 = ((1 << PTE_FIELD_MAPCOUNT_BITS) - 1) << PTE_FIELD_MAPCOUNT_SHIFT;
@inline const PINS_MASK: u32 = ((1 << PTE_FIELD_PINS_BITS) - 1) << PTE_FIELD_PINS_SHIFT;

/**
 * The field of the PTE at `ptr` whose low-word mask is `mask` (a PTE bit, or a
 * PTE_FIELD's mask), or the pfn when `mask` is 0. Returns u32.MAX_VALUE for an unknown mask.
 */
export function decodePteField(ptr: u32, mask: u32): u32 {
  const lo = pteLo(ptr, 0);
  switch (mask) {
    case 0: return pteHi(ptr, 0);
    case PTE_PRESENT: return <u32>ptePresent(lo);
    case PTE_YOUNG: return <u32>pteYoung(lo);
    case PTE_DIRTY: return <u32>pteDirty(lo);
    case PTE_WRITE: return <u32>pteWrite(lo);
    case PTE_UFFD_WP: return <u32>pteUffdWp(lo);
    case PTE_SWAP: return <u32>pteSwap(lo);
    case PTE_ZERO: return <u32>pteZero(lo);
    case PTE_SPECIAL: return <u32>pteSpecial(lo);
    case PTE_FOLIO_ANON: return <u32>folioAnon(lo);
    case PTE_FOLIO_SWAPBACKED: return <u32>folioSwapbacked(lo);
    case PTE_FOLIO_LRU: return <u32>folioLru(lo);
    case PTE_FOLIO_LOCKED: return <u32>folioLocked(lo);
    case PTE_FOLIO_REFERENCED: return <u32>folioReferenced(lo);
    case PTE_FOLIO_SWAPCACHE: return <u32>folioSwapcache(lo);
    case PTE_FOLIO_DIRTY: return <u32>folioDirty(lo);
    case ORDER_MASK: return folioOrder(lo);
    case MAPCOUNT_MASK: return folioMapcount(lo);
    case PINS_MASK: return folioPins(lo);
    default: return u32.MAX_VALUE;
  }
}

/**
 * Predicate number `which` of assembly/pte.ts on the PTE words `lo` and `hi`, for
 * test/pte_predicates.test.ts (PTE_PREDICATES there lists the host's in this order).
 * Returns u32.MAX_VALUE for an unknown number.
 */
export function ptePredicate(which: u32, lo: u32, hi: u32): u32 {
  switch (which) {
    case 0: return <u32>ptePresent(lo);
    case 1: return <u32>pteYoung(lo);
    case 2: return <u32>pteDirty(lo);
    case 3: return <u32>pteWrite(lo);
    case 4: return <u32>pteUffdWp(lo);
    case 5: return <u32>pteSwap(lo);
    case 6: return <u32>pteZero(lo);
    case 7: return <u32>pteSpecial(lo);
    case 8: return <u32>pteNoneOrZero(lo);
    case 9: return <u32>pteNormal(lo);
    case 10: return <u32>pteReferenced(lo);
    case 11: return <u32>folioAnon(lo);
    case 12: return <u32>folioSwapbacked(lo);
    case 13: return <u32>folioLru(lo);
    case 14: return <u32>folioLocked(lo);
    case 15: return <u32>folioReferenced(lo);
    case 16: return <u32>folioSwapcache(lo);
    case 17: return <u32>folioDirty(lo);
    case 18: return <u32>folioLazyfree(lo);
    case 19: return <u32>pteCleanLazyfree(lo);
    case 20: return folioOrder(lo);
    case 21: return folioMapcount(lo);
    case 22: return folioPins(lo);
    case 23: return <u32>folioMaybeMappedShared(lo);
    case 24: return folioPfn(lo, hi);
    default: return u32.MAX_VALUE;
  }
}
