/**
 * Encoding and decoding of PTE words (see layout.ts). The host model and the tests
 * build PTEs only through these helpers, so a malformed word cannot reach the core.
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
