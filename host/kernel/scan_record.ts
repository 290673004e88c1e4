/** The scan record ring: the 32-byte records the core writes (layout.ts `RECORD`), and their decoding. */
import { PFN_NONE, RECORD } from "../core/layout.ts";
import { recordU16 } from "../core/record_field.ts";

/** Records the scan core may write per call. */
export const RING_RECORDS = 1024;

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

const REFERENCED = recordU16(RECORD.REFERENCED), NONE_OR_ZERO = recordU16(RECORD.NONE_OR_ZERO);
const UNMAPPED = recordU16(RECORD.UNMAPPED), WRITABLE = recordU16(RECORD.WRITABLE);
const SHARED = recordU16(RECORD.SHARED);

/** A u16 field of the record at word `w`, at its recordU16() slot (indexed: destructuring costs a hot loop). */
function u16(u32: Uint32Array, w: number, slot: readonly [number, number]): number {
  return (u32[w + slot[0]] >>> slot[1]) & 0xffff;
}

/** Read the record at byte offset `at`. */
export function readRecord(u32: Uint32Array, at: number): ScanRecord {
  const w = at >>> 2;
  const pfn = u32[w + RECORD.PFN / 4];
  return {
    result: u32[w + RECORD.RESULT / 4],
    ptesExamined: u32[w + RECORD.PTES_EXAMINED / 4],
    referenced: u16(u32, w, REFERENCED),
    noneOrZero: u16(u32, w, NONE_OR_ZERO),
    unmapped: u16(u32, w, UNMAPPED),
    writable: u16(u32, w, WRITABLE),
    shared: u16(u32, w, SHARED),
    pfn: pfn === PFN_NONE ? -1 : pfn,
    address: u32[w + RECORD.ADDRESS / 4] + u32[w + RECORD.ADDRESS / 4 + 1] * 0x100000000,
  };
}
