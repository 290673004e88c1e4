/** Decoding of the 32-byte scan records the core writes (layout.ts `RECORD`). */
import { PFN_NONE, RECORD } from "../core/layout.ts";

export interface ScanRecord {
  result: number;
  ptesExamined: number;
  referenced: number;
  noneOrZero: number;
  unmapped: number;
  writable: number;
  shared: number;
  /** Head pfn of the last folio examined, or -1. */
  pfn: number;
  address: number;
}

/** A u16 field of the record at word `w`, by its byte offset in RECORD. */
function u16(u32: Uint32Array, w: number, offset: number): number {
  return (u32[w + (offset >>> 2)] >>> ((offset & 2) * 8)) & 0xffff;
}

/** Read the record at byte offset `at`. */
export function readRecord(u32: Uint32Array, at: number): ScanRecord {
  const w = at >>> 2;
  const pfn = u32[w + RECORD.PFN / 4];
  return {
    result: u32[w + RECORD.RESULT / 4],
    ptesExamined: u32[w + RECORD.PTES_EXAMINED / 4],
    referenced: u16(u32, w, RECORD.REFERENCED),
    noneOrZero: u16(u32, w, RECORD.NONE_OR_ZERO),
    unmapped: u16(u32, w, RECORD.UNMAPPED),
    writable: u16(u32, w, RECORD.WRITABLE),
    shared: u16(u32, w, RECORD.SHARED),
    pfn: pfn === PFN_NONE ? -1 : pfn,
    address: u32[w + RECORD.ADDRESS / 4] + u32[w + RECORD.ADDRESS / 4 + 1] * 0x100000000,
  };
}
