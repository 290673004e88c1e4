/**
 * Shared setup of the scan-core tests: one CoreMemory with the three cores on it,
 * page-table writers and a raw record decoder.
 */
import { CoreMemory } from "../host/core/core_memory.ts";
import { PTE_BYTES, PTE_TABLE_BYTES, PTES_PER_PMD, RECORD, SCAN_FLAG } from "../host/core/layout.ts";
import { encodePte, type PteFields } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { scanResultName } from "../host/core/scan_result.ts";
import { createCore } from "../host/node/load_core.ts";

/** The sysfs defaults, khugepaged context, lazy-free skip off. */
export const DEFAULTS = {
  maxPtesNone: 511,
  maxPtesSwap: 64,
  maxPtesShared: 256,
  vmaFlags: 0,
  scanFlags: SCAN_FLAG.KHUGEPAGED,
};
export type ScanParams = typeof DEFAULTS;

/** A record as raw numbers, with the result also by name for readable failures. */
export interface RawRecord {
  result: string;
  ptesExamined: number;
  referenced: number;
  noneOrZero: number;
  unmapped: number;
  writable: number;
  shared: number;
  pfn: number;
  address: bigint;
}

/** A CoreMemory of `maxBytes` with the TS twin, WASM scalar and WASM SIMD cores on it. */
export async function scanCores(maxBytes: number): Promise<{ memory: CoreMemory; cores: ScanCore[] }> {
  const { memory, core } = await createCore({ maxBytes });
  return { memory, cores: [new TsScanCore(memory.memory), core.scalar, core.simd] };
}

/** Write a PTE table: `ptes[i]` null or missing is `pte_none`. */
export function writeTable(memory: CoreMemory, ptes: ReadonlyArray<PteFields | null>): number {
  const table = memory.allocTable();
  const u32 = memory.u32;
  for (let i = 0; i < PTES_PER_PMD; i++) {
    const f = ptes[i];
    if (f == null) continue;
    const { lo, hi } = encodePte(f);
    u32[(table + i * PTE_BYTES) >>> 2] = lo;
    u32[((table + i * PTE_BYTES) >>> 2) + 1] = hi;
  }
  return table;
}

/** The PMD directory entry of a PTE table. */
export function tableEntry(table: number): number {
  return table / PTE_TABLE_BYTES;
}

/** A directory of u32 PMD entries. */
export function writeDirectory(memory: CoreMemory, entries: readonly number[]): number {
  const dir = memory.alloc(entries.length * 4, 4);
  memory.u32.set(entries, dir >>> 2);
  return dir;
}

export function readRecord(memory: CoreMemory, at: number): RawRecord {
  const v = new DataView(memory.memory.buffer, at, RECORD.BYTES);
  const result = v.getUint32(RECORD.RESULT, true);
  return {
    result: scanResultName(result),
    ptesExamined: v.getUint32(RECORD.PTES_EXAMINED, true),
    referenced: v.getUint16(RECORD.REFERENCED, true),
    noneOrZero: v.getUint16(RECORD.NONE_OR_ZERO, true),
    unmapped: v.getUint16(RECORD.UNMAPPED, true),
    writable: v.getUint16(RECORD.WRITABLE, true),
    shared: v.getUint16(RECORD.SHARED, true),
    pfn: v.getUint32(RECORD.PFN, true),
    address: v.getBigUint64(RECORD.ADDRESS, true),
  };
}

/** Scan PMDs `entries` (at PMD number `pmdNo` on) with `core`, returning their records. */
export function scanEntries(
  memory: CoreMemory, core: ScanCore, entries: readonly number[], pmdNo = 1,
  params: Partial<ScanParams> = {},
): RawRecord[] {
  const p = { ...DEFAULTS, ...params };
  const dir = writeDirectory(memory, entries);
  const ring = memory.alloc(entries.length * RECORD.BYTES, RECORD.BYTES);
  core.scanPmds(dir, 0, entries.length, pmdNo, p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, p.vmaFlags,
    p.scanFlags, ring);
  return entries.map((_, k) => readRecord(memory, ring + k * RECORD.BYTES));
}

/** Scan one PMD whose PTE table holds `ptes`. */
export function scanTable(
  memory: CoreMemory, core: ScanCore, ptes: ReadonlyArray<PteFields | null>, params: Partial<ScanParams> = {},
): RawRecord {
  const table = writeTable(memory, ptes);
  const [rec] = scanEntries(memory, core, [tableEntry(table)], 1, params);
  memory.freeTable(table);
  return rec;
}

/** Run isolate over one PTE table holding `ptes`. */
export function isolateTable(
  memory: CoreMemory, core: ScanCore, ptes: ReadonlyArray<PteFields | null>, params: Partial<ScanParams> = {},
): RawRecord {
  const p = { ...DEFAULTS, ...params };
  const table = writeTable(memory, ptes);
  const rec = memory.alloc(RECORD.BYTES, RECORD.BYTES);
  core.isolatePmd(table, 1, p.maxPtesNone, p.maxPtesShared, p.vmaFlags, p.scanFlags, rec);
  memory.freeTable(table);
  return readRecord(memory, rec);
}

/** The fields of a fresh private anon page (young, dirty, writable) at `pfn`. */
export function anon(pfn: number, extra: PteFields = {}): PteFields {
  return {
    present: true, young: true, dirty: true, write: true, anon: true, swapbacked: true, lru: true,
    mapcount: 1, pfn, ...extra,
  };
}

/** 512 PTEs of fresh private anon pages at pfn `base + i`, with `edit` applied per index. */
export function pmdOf(base: number, edit: (i: number) => PteFields | null | undefined = () => undefined):
  Array<PteFields | null> {
  return Array.from({ length: PTES_PER_PMD }, (_, i) => {
    const e = edit(i);
    return e === undefined ? anon(base + i) : e;
  });
}
