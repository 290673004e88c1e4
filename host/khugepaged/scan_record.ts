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

/** Read the record at byte offset `at`. */
export function readRecord(u32: Uint32Array, at: number): ScanRecord {
  const w = at >>> 2;
  const pfn = u32[w + RECORD.PFN / 4];
  return {
    result: u32[w],
    ptesExamined: u32[w + 1],
    referenced: u32[w + 2] & 0xffff,
    noneOrZero: u32[w + 2] >>> 16,
    unmapped: u32[w + 3] & 0xffff,
    writable: u32[w + 3] >>> 16,
    shared: u32[w + 4] & 0xffff,
    pfn: pfn === PFN_NONE ? -1 : pfn,
    address: u32[w + 6] + u32[w + 7] * 0x100000000,
  };
}
