/**
 * Encoding, decoding and named predicates of PTE words (see layout.ts). The host model
 * reads and changes a PTE's low word only through these, with the names and meaning of
 * assembly/pte.ts (test/pte_predicates.test.ts holds the two to the same answers), so
 * each bit rule, lazy-free included, is spelled once per side.
 */
import { PTE, PTE_FIELD } from "./layout.ts";

/** The fields of one PTE and of the folio it maps, as the host thinks of them. */
export interface PteFields {
  present?: boolean;
  young?: boolean;
  dirty?: boolean;
  write?: boolean;
  uffdWp?: boolean;
  swap?: boolean;
  zero?: boolean;
  special?: boolean;
  anon?: boolean;
  swapbacked?: boolean;
  lru?: boolean;
  locked?: boolean;
  referenced?: boolean;
  swapcache?: boolean;
  folioDirty?: boolean;
  order?: number;
  mapcount?: number;
  pins?: number;
  pfn?: number;
}

const FLAG_BITS: ReadonlyArray<readonly [keyof PteFields, number]> = [
  ["present", PTE.PRESENT], ["young", PTE.YOUNG], ["dirty", PTE.DIRTY], ["write", PTE.WRITE],
  ["uffdWp", PTE.UFFD_WP], ["swap", PTE.SWAP], ["zero", PTE.ZERO], ["special", PTE.SPECIAL],
  ["anon", PTE.FOLIO_ANON], ["swapbacked", PTE.FOLIO_SWAPBACKED], ["lru", PTE.FOLIO_LRU],
  ["locked", PTE.FOLIO_LOCKED], ["referenced", PTE.FOLIO_REFERENCED], ["swapcache", PTE.FOLIO_SWAPCACHE],
  ["folioDirty", PTE.FOLIO_DIRTY],
];

const NUMERIC: ReadonlyArray<readonly ["order" | "mapcount" | "pins", { shift: number; bits: number }]> = [
  ["order", PTE_FIELD.ORDER], ["mapcount", PTE_FIELD.MAPCOUNT], ["pins", PTE_FIELD.PINS],
];

/** Read a multi-bit field of a PTE's low word. */
export function pteField(lo: number, field: { shift: number; bits: number }): number {
  return (lo >>> field.shift) & ((1 << field.bits) - 1);
}

/** Return `lo` with `field` set to `value` (saturating at the field's maximum). */
export function withPteField(lo: number, field: { shift: number; bits: number }, value: number): number {
  const max = (1 << field.bits) - 1;
  const v = Math.min(Math.max(0, value), max);
  return ((lo & ~(max << field.shift)) | (v << field.shift)) >>> 0;
}

/** Encode fields into the low word; `pfn` is the high word. Throws on an impossible PTE. */
export function encodePte(f: PteFields): { lo: number; hi: number } {
  if (f.present && f.swap) throw new RangeError("A PTE cannot be both present and a swap entry");
  if ((f.zero || f.special) && !f.present) throw new RangeError("A zero-page or special PTE must be present");
  if (f.order !== undefined && !(Number.isInteger(f.order) && f.order >= 0 && f.order <= 9)) {
    throw new RangeError(`PTE order must be an integer from 0 to 9, got ${f.order}`);
  }
  const pfn = f.pfn ?? 0;
  if (!(Number.isInteger(pfn) && pfn >= 0 && pfn < 0xffffffff)) {
    throw new RangeError(`PTE pfn must be an integer from 0 to 0xfffffffe, got ${pfn}`);
  }
  let lo = 0;
  for (const [key, bit] of FLAG_BITS) if (f[key]) lo |= bit;
  for (const [key, field] of NUMERIC) lo = withPteField(lo, field, f[key] ?? 0);
  if (lo === 0 && pfn !== 0) throw new RangeError("A none PTE carries no pfn");
  return { lo: lo >>> 0, hi: pfn };
}

/** Decode a PTE's two words into fields. */
export function decodePte(lo: number, hi: number): Required<PteFields> {
  const out = { pfn: hi >>> 0 } as Required<PteFields>;
  for (const [key, bit] of FLAG_BITS) (out as unknown as Record<string, unknown>)[key] = (lo & bit) !== 0;
  for (const [key, field] of NUMERIC) out[key] = pteField(lo, field);
  return out;
}

/** A normal, present, private anonymous page as a fresh write fault leaves it. */
export function anonPte(pfn: number, extra: PteFields = {}): { lo: number; hi: number } {
  return encodePte({
    present: true, young: true, dirty: true, write: true, anon: true, swapbacked: true, lru: true,
    mapcount: 1, pfn, ...extra,
  });
}

/** `pte_present()`. */
export const ptePresent = (lo: number): boolean => (lo & PTE.PRESENT) !== 0;
/** `pte_young()`. */
export const pteYoung = (lo: number): boolean => (lo & PTE.YOUNG) !== 0;
/** `pte_dirty()`. */
export const pteDirty = (lo: number): boolean => (lo & PTE.DIRTY) !== 0;
/** `pte_write()`. */
export const pteWrite = (lo: number): boolean => (lo & PTE.WRITE) !== 0;
/** `pte_uffd_wp()` of a present PTE, `pte_swp_uffd_wp_any()` of a non-present one. */
export const pteUffdWp = (lo: number): boolean => (lo & PTE.UFFD_WP) !== 0;
/** A swap entry. */
export const pteSwap = (lo: number): boolean => (lo & PTE.SWAP) !== 0;
/** Maps the shared zero page. */
export const pteZero = (lo: number): boolean => (lo & PTE.ZERO) !== 0;
/** `vm_normal_page()` would return NULL (special or zone-device mapping). */
export const pteSpecial = (lo: number): boolean => (lo & PTE.SPECIAL) !== 0;
/** `pte_none()` or a present PTE of the shared zero page (`is_zero_pfn()`). */
export const pteNoneOrZero = (lo: number): boolean =>
  lo === 0 || (lo & (PTE.PRESENT | PTE.ZERO)) === (PTE.PRESENT | PTE.ZERO);
/** Present and mapping a normal page: not the zero page, not special (`vm_normal_page()` finds one). */
export const pteNormal = (lo: number): boolean => (lo & (PTE.PRESENT | PTE.ZERO | PTE.SPECIAL)) === PTE.PRESENT;
/** `pte_young()` or `folio_test_referenced()`: the access evidence khugepaged counts. */
export const pteReferenced = (lo: number): boolean => (lo & (PTE.YOUNG | PTE.FOLIO_REFERENCED)) !== 0;

export const folioAnon = (lo: number): boolean => (lo & PTE.FOLIO_ANON) !== 0;
export const folioSwapbacked = (lo: number): boolean => (lo & PTE.FOLIO_SWAPBACKED) !== 0;
export const folioLru = (lo: number): boolean => (lo & PTE.FOLIO_LRU) !== 0;
export const folioLocked = (lo: number): boolean => (lo & PTE.FOLIO_LOCKED) !== 0;
export const folioReferenced = (lo: number): boolean => (lo & PTE.FOLIO_REFERENCED) !== 0;
export const folioSwapcache = (lo: number): boolean => (lo & PTE.FOLIO_SWAPCACHE) !== 0;
/** `folio_test_dirty()`: PG_dirty, not the PTE's dirty bit. */
export const folioDirty = (lo: number): boolean => (lo & PTE.FOLIO_DIRTY) !== 0;
/** `folio_test_lazyfree()`: anonymous but no longer swap-backed (given back with MADV_FREE). */
export const folioLazyfree = (lo: number): boolean => (lo & (PTE.FOLIO_ANON | PTE.FOLIO_SWAPBACKED)) === PTE.FOLIO_ANON;
/**
 * A lazy-free folio this PTE has not written since MADV_FREE: what khugepaged's lazy-free
 * skip stops at, reclaim may discard, and smaps counts as LazyFree.
 */
export const pteCleanLazyfree = (lo: number): boolean =>
  (lo & (PTE.FOLIO_ANON | PTE.FOLIO_SWAPBACKED | PTE.DIRTY)) === PTE.FOLIO_ANON;
/** The folio's order (0 to 9). */
export const folioOrder = (lo: number): number => pteField(lo, PTE_FIELD.ORDER);
/** Mappings of the page, saturating. */
export const folioMapcount = (lo: number): number => pteField(lo, PTE_FIELD.MAPCOUNT);
/** References beyond `folio_expected_ref_count()`: GUP pins, per-CPU batches. */
export const folioPins = (lo: number): number => pteField(lo, PTE_FIELD.PINS);
/** `folio_maybe_mapped_shared()`: another mm may map some page of the folio. */
export const folioMaybeMappedShared = (lo: number): boolean => folioMapcount(lo) > 1;
/** `folio_pfn()`: the head pfn of the naturally aligned folio whose page `hi` is. */
export const folioPfn = (lo: number, hi: number): number => (hi & ~((1 << folioOrder(lo)) - 1)) >>> 0;

/** `lo` with the PTE or folio bits `set` set and `clear` cleared. */
export const withPteBits = (lo: number, set: number, clear = 0): number => ((lo | set) & ~clear) >>> 0;
/** `lo` with the folio order set (0: the page is a small folio of its own). */
export const withFolioOrder = (lo: number, order: number): number => withPteField(lo, PTE_FIELD.ORDER, order);
/** `lo` with the mapcount set. */
export const withFolioMapcount = (lo: number, n: number): number => withPteField(lo, PTE_FIELD.MAPCOUNT, n);
/** `lo` with the pin count set (saturating at its field's width). */
export const withFolioPins = (lo: number, n: number): number => withPteField(lo, PTE_FIELD.PINS, n);
/** The largest pin count a PTE holds. */
export const MAX_PINS = (1 << PTE_FIELD.PINS.bits) - 1;
