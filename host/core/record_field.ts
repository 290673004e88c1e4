/**
 * Where the u16 fields of a scan record (layout.ts `RECORD`) sit in its u32 words. Not
 * in layout.ts: every export there becomes a constant of the WASM core.
 */

/** Word index within the record and bit shift of the u16 field at byte `offset`. */
export function recordU16(offset: number): readonly [word: number, shift: number] {
  return [offset >>> 2, (offset & 2) * 8];
}
