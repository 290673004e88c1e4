// Accessors over the PTE words of host/core/layout.ts. The scan reads a page table
// only through these, so the bit layout lives in the generated constants alone.
import {
  PTE_BYTES, PTE_DIRTY, PTE_FIELD_MAPCOUNT_BITS, PTE_FIELD_MAPCOUNT_SHIFT, PTE_FIELD_ORDER_BITS,
  PTE_FIELD_ORDER_SHIFT, PTE_FIELD_PINS_BITS, PTE_FIELD_PINS_SHIFT, PTE_FOLIO_ANON, PTE_FOLIO_LOCKED,
  PTE_FOLIO_LRU, PTE_FOLIO_REFERENCED, PTE_FOLIO_SWAPBACKED, PTE_FOLIO_SWAPCACHE, PTE_FOLIO_DIRTY, PTE_PRESENT,
  PTE_SPECIAL, PTE_SWAP, PTE_UFFD_WP, PTE_WRITE, PTE_YOUNG, PTE_ZERO,
} from "./generated/layout";

/** Low word of PTE `i` of the table at `table`: PTE bits and folio state. */
@inline export function pteLo(table: u32, i: u32): u32 {
  return load<u32>(table + i * PTE_BYTES);
}

/** High word of PTE `i`: the page frame number. */
@inline export function pteHi(table: u32, i: u32): u32 {
  return load<u32>(table + i * PTE_BYTES, 4);
}

/** `pte_none()` or a present PTE of the shared zero page (`is_zero_pfn()`). */
@inline export function pteNoneOrZero(lo: u32): bool {
  return lo == 0 || (lo & (PTE_PRESENT | PTE_ZERO)) == (PTE_PRESENT | PTE_ZERO);
}

@inline export function ptePresent(lo: u32): bool { return (lo & PTE_PRESENT) != 0; }
/** Present and mapping a normal page: not the zero page, not special. */
@inline export function pteNormal(lo: u32): bool {
  return (lo & (PTE_PRESENT | PTE_ZERO | PTE_SPECIAL)) == PTE_PRESENT;
}
@inline export function pteYoung(lo: u32): bool { return (lo & PTE_YOUNG) != 0; }
@inline export function pteDirty(lo: u32): bool { return (lo & PTE_DIRTY) != 0; }
@inline export function pteWrite(lo: u32): bool { return (lo & PTE_WRITE) != 0; }
/** `pte_uffd_wp()` of a present PTE, `pte_swp_uffd_wp_any()` of a non-present one. */
@inline export function pteUffdWp(lo: u32): bool { return (lo & PTE_UFFD_WP) != 0; }
@inline export function pteSwap(lo: u32): bool { return (lo & PTE_SWAP) != 0; }
@inline export function pteZero(lo: u32): bool { return (lo & PTE_ZERO) != 0; }
/** `vm_normal_page()` would return NULL (special or zone-device mapping). */
@inline export function pteSpecial(lo: u32): bool { return (lo & PTE_SPECIAL) != 0; }

@inline export function folioAnon(lo: u32): bool { return (lo & PTE_FOLIO_ANON) != 0; }
@inline export function folioSwapbacked(lo: u32): bool { return (lo & PTE_FOLIO_SWAPBACKED) != 0; }
@inline export function folioLru(lo: u32): bool { return (lo & PTE_FOLIO_LRU) != 0; }
@inline export function folioLocked(lo: u32): bool { return (lo & PTE_FOLIO_LOCKED) != 0; }
@inline export function folioReferenced(lo: u32): bool { return (lo & PTE_FOLIO_REFERENCED) != 0; }
@inline export function folioSwapcache(lo: u32): bool { return (lo & PTE_FOLIO_SWAPCACHE) != 0; }
@inline export function folioDirty(lo: u32): bool { return (lo & PTE_FOLIO_DIRTY) != 0; }

/** `folio_test_lazyfree()`: anonymous but no longer swap-backed (given back with MADV_FREE). */
@inline export function folioLazyfree(lo: u32): bool {
  return (lo & (PTE_FOLIO_ANON | PTE_FOLIO_SWAPBACKED)) == PTE_FOLIO_ANON;
}

/** A lazy-free folio this PTE has not written since MADV_FREE: what the lazy-free skip stops at. */
@inline export function pteCleanLazyfree(lo: u32): bool {
  return folioLazyfree(lo) && !pteDirty(lo);
}

@inline export function folioOrder(lo: u32): u32 {
  return (lo >> PTE_FIELD_ORDER_SHIFT) & ((1 << PTE_FIELD_ORDER_BITS) - 1);
}

@inline export function folioMapcount(lo: u32): u32 {
  return (lo >> PTE_FIELD_MAPCOUNT_SHIFT) & ((1 << PTE_FIELD_MAPCOUNT_BITS) - 1);
}

/** References beyond `folio_expected_ref_count()`: GUP pins, per-CPU batches. */
@inline export function folioPins(lo: u32): u32 {
  return (lo >> PTE_FIELD_PINS_SHIFT) & ((1 << PTE_FIELD_PINS_BITS) - 1);
}

/** `folio_maybe_mapped_shared()`: another mm may map some page of the folio. */
@inline export function folioMaybeMappedShared(lo: u32): bool {
  return folioMapcount(lo) > 1;
}

/** `pte_young()` or `folio_test_referenced()`: the access evidence khugepaged counts. */
@inline export function pteReferenced(lo: u32): bool {
  return (lo & (PTE_YOUNG | PTE_FOLIO_REFERENCED)) != 0;
}

/** `folio_pfn()`: the head pfn of the naturally aligned folio that maps `hi`. */
@inline export function folioPfn(lo: u32, hi: u32): u32 {
  return hi & ~((<u32>1 << folioOrder(lo)) - 1);
}
