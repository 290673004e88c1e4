/**
 * The pure-TypeScript twin of the WASM scan core: `hpage_collapse_scan_pmd`'s PTE
 * loop and `__collapse_huge_page_isolate`'s checks, reading the same page tables in
 * the same shared memory and writing the same records. It is the oracle of the
 * differential tests and the baseline of the speed ratios, so it is written as
 * plainly fast as TypeScript allows (local constants, 32-bit typed-array reads).
 */
import { OCCUPANCY, PFN_NONE, PMD, PTE, PTE_FIELD, PTE_TABLE_BYTES, PTES_PER_PMD, RECORD, SCAN_FLAG, VMA } from "./layout.ts";
import { windowNeeds, writeWindows } from "./occupancy.ts";
import { pteCleanLazyfree } from "./pte.ts";
import { recordU16 } from "./record_field.ts";
import { ScanResult } from "./scan_result.ts";
import type { ScanCore } from "./scan_core.ts";

const PRESENT = PTE.PRESENT, YOUNG = PTE.YOUNG, WRITE = PTE.WRITE;
const UFFD_WP = PTE.UFFD_WP, ZERO = PTE.ZERO, SPECIAL = PTE.SPECIAL;
const ANON = PTE.FOLIO_ANON, LRU = PTE.FOLIO_LRU;
const LOCKED = PTE.FOLIO_LOCKED, REFERENCED = PTE.FOLIO_REFERENCED;
const ORDER_SHIFT = PTE_FIELD.ORDER.shift, ORDER_MASK = (1 << PTE_FIELD.ORDER.bits) - 1;
const MAPCOUNT_SHIFT = PTE_FIELD.MAPCOUNT.shift, MAPCOUNT_MASK = (1 << PTE_FIELD.MAPCOUNT.bits) - 1;
const PINS_SHIFT = PTE_FIELD.PINS.shift, PINS_MASK = (1 << PTE_FIELD.PINS.bits) - 1;
const HUGE = PMD.HUGE, MIGRATION = PMD.MIGRATION, INDEX_MASK = PMD.INDEX_MASK;
const NR = PTES_PER_PMD;
const S = ScanResult;

interface Counters {
  result: number;
  examined: number;
  referenced: number;
  noneOrZero: number;
  unmapped: number;
  writable: number;
  shared: number;
  pfn: number;
}

/**
 * Word index and bit shift of each u16 field of a record. They pair up in words,
 * REFERENCED with NONE_OR_ZERO and UNMAPPED with WRITABLE; SHARED's other half is padding.
 */
const [REF_W, REF_SH] = recordU16(RECORD.REFERENCED), [, NZ_SH] = recordU16(RECORD.NONE_OR_ZERO);
const [UNM_W, UNM_SH] = recordU16(RECORD.UNMAPPED), [, WR_SH] = recordU16(RECORD.WRITABLE);
const [SH_W, SH_SH] = recordU16(RECORD.SHARED);

/** Write every field of the record, one store per word; the padding half of SHARED's word is kept. */
function writeRecord(u32: Uint32Array, at: number, pmdNo: number, c: Counters): void {
  const w = at >>> 2;
  u32[w + RECORD.RESULT / 4] = c.result;
  u32[w + RECORD.PTES_EXAMINED / 4] = c.examined;
  u32[w + REF_W] = c.referenced << REF_SH | c.noneOrZero << NZ_SH;
  u32[w + UNM_W] = c.unmapped << UNM_SH | c.writable << WR_SH;
  u32[w + SH_W] = ((u32[w + SH_W] & ~(0xffff << SH_SH)) | c.shared << SH_SH) >>> 0;
  u32[w + RECORD.PFN / 4] = c.pfn;
  // address = pmdNo << 21, split into two 32-bit halves without BigInt.
  u32[w + RECORD.ADDRESS / 4] = (pmdNo << 21) >>> 0;
  u32[w + RECORD.ADDRESS / 4 + 1] = Math.floor(pmdNo / 2048);
}

/**
 * Scan one PTE table the way `hpage_collapse_scan_pmd` does after the PMD checks; with
 * `occ` (the byte offset of an OCCUPANCY record, else -1) it also sets the bitmap's bit of
 * each PTE that passes as a mapped page.
 */
function scanPtes(
  u32: Uint32Array, table: number, maxNone: number, maxSwap: number, maxShared: number,
  vmaFlags: number, scanFlags: number, c: Counters, occ: number,
): void {
  const khugepaged = (scanFlags & SCAN_FLAG.KHUGEPAGED) !== 0;
  const withBitmap = occ >= 0, bitmap = (occ + OCCUPANCY.BITMAP) >>> 2;
  // MADV_COLLAPSE enforces no thresholds; a uffd-armed VMA tolerates no empty PTE. With
  // mTHP orders the scan takes every empty PTE but the last, so that the bitmap covers the
  // PMD; each window's max_ptes_none is applied to it afterwards.
  const limNone = (vmaFlags & VMA.VM_UFFD_ARMED) !== 0 ? 0 : !khugepaged ? NR : withBitmap ? NR - 1 : maxNone;
  const limSwap = khugepaged ? maxSwap : NR;
  const limShared = khugepaged ? maxShared : NR;
  // Lazy-free memory outside VM_DROPPABLE is memory the task gave back: collapsing it
  // would turn discardable pages into a swap-backed THP that reclaim cannot drop.
  const skipLazyfree = khugepaged && (scanFlags & SCAN_FLAG.LAZYFREE_SKIP) !== 0 &&
    (vmaFlags & VMA.VM_DROPPABLE) === 0;
  let w = table >>> 2;
  let none = 0, unmapped = 0, shared = 0, referenced = 0, writable = 0;
  let pfn = PFN_NONE;
  let result = -1;
  let i = 0;
  for (; i < NR; i++, w += 2) {
    const lo = u32[w];
    if (lo === 0 || (lo & (PRESENT | ZERO)) === (PRESENT | ZERO)) {
      if (++none > limNone) { result = S.EXCEED_NONE_PTE; break; }
      continue;
    }
    if ((lo & PRESENT) === 0) {
      if (++unmapped > limSwap) { result = S.EXCEED_SWAP_PTE; break; }
      if ((lo & UFFD_WP) !== 0) { result = S.PTE_UFFD_WP; break; }
      continue;
    }
    if ((lo & UFFD_WP) !== 0) { result = S.PTE_UFFD_WP; break; }
    if ((lo & WRITE) !== 0) writable++;
    if ((lo & SPECIAL) !== 0) { result = S.PAGE_NULL; break; }
    const order = (lo >>> ORDER_SHIFT) & ORDER_MASK;
    pfn = (u32[w + 1] & ~((1 << order) - 1)) >>> 0;
    if (skipLazyfree && pteCleanLazyfree(lo)) { result = S.PAGE_LAZYFREE; break; }
    if ((lo & ANON) === 0) { result = S.PAGE_ANON; break; }
    if (((lo >>> MAPCOUNT_SHIFT) & MAPCOUNT_MASK) > 1 && ++shared > limShared) {
      result = S.EXCEED_SHARED_PTE; break;
    }
    if ((lo & LRU) === 0) { result = S.PAGE_LRU; break; }
    if ((lo & LOCKED) !== 0) { result = S.PAGE_LOCK; break; }
    if (((lo >>> PINS_SHIFT) & PINS_MASK) !== 0) { result = S.PAGE_COUNT; break; }
    if (khugepaged && (lo & (YOUNG | REFERENCED)) !== 0) referenced++;
    if (withBitmap) u32[bitmap + (i >>> 5)] |= 1 << (i & 31);
  }
  if (result < 0) {
    i = NR - 1;
    // khugepaged wants evidence the range is in use; with swap entries it wants half
    // the PMD referenced, so that swap-in I/O is spent only on hot ranges.
    result = khugepaged && (referenced === 0 || (unmapped > 0 && referenced < NR / 2))
      ? S.LACK_REFERENCED_PAGE : S.SUCCEED;
  }
  c.result = result; c.examined = i + 1; c.referenced = referenced; c.noneOrZero = none;
  c.unmapped = unmapped; c.writable = writable; c.shared = shared; c.pfn = pfn;
}

/** Decide a PMD directory entry; returns -1 when a PTE table must be scanned. */
function pmdResult(entry: number): number {
  if (entry === 0) return S.NO_PTE_TABLE;
  if ((entry & (HUGE | MIGRATION)) !== 0) return S.PMD_MAPPED;
  return -1;
}

/** The PTE checks of `__collapse_huge_page_isolate`, run on the detached table. */
function isolatePtes(
  u32: Uint32Array, table: number, maxNone: number, maxShared: number,
  vmaFlags: number, scanFlags: number, c: Counters,
): void {
  const khugepaged = (scanFlags & SCAN_FLAG.KHUGEPAGED) !== 0;
  const uffdArmed = (vmaFlags & VMA.VM_UFFD_ARMED) !== 0;
  const skipLazyfree = khugepaged && (scanFlags & SCAN_FLAG.LAZYFREE_SKIP) !== 0 &&
    (vmaFlags & VMA.VM_DROPPABLE) === 0;
  let w = table >>> 2;
  let none = 0, shared = 0, referenced = 0, writable = 0;
  let pfn = PFN_NONE, isolatedHead = PFN_NONE;
  let result = -1;
  let i = 0;
  for (; i < NR; i++, w += 2) {
    const lo = u32[w];
    if (lo === 0 || (lo & (PRESENT | ZERO)) === (PRESENT | ZERO)) {
      if (++none > maxNone && khugepaged || uffdArmed) { result = S.EXCEED_NONE_PTE; break; }
      continue;
    }
    // Swap-in already ran: anything still not present is a race the collapse loses.
    if ((lo & PRESENT) === 0) { result = S.PTE_NON_PRESENT; break; }
    if ((lo & UFFD_WP) !== 0) { result = S.PTE_UFFD_WP; break; }
    if ((lo & WRITE) !== 0) writable++;
    if ((lo & SPECIAL) !== 0) { result = S.PAGE_NULL; break; }
    const order = (lo >>> ORDER_SHIFT) & ORDER_MASK;
    const head = (u32[w + 1] & ~((1 << order) - 1)) >>> 0;
    pfn = head;
    if ((lo & ANON) === 0) { result = S.PAGE_ANON; break; }
    // Catches pages given back with MADV_FREE between the scan and the collapse.
    if (skipLazyfree && pteCleanLazyfree(lo)) { result = S.PAGE_LAZYFREE; break; }
    if (((lo >>> MAPCOUNT_SHIFT) & MAPCOUNT_MASK) > 1 && ++shared > maxShared && khugepaged) {
      result = S.EXCEED_SHARED_PTE; break;
    }
    // A large folio is locked and isolated once, at its first PTE.
    if (order === 0 || head !== isolatedHead) {
      if ((lo & LOCKED) !== 0) { result = S.PAGE_LOCK; break; }
      if (((lo >>> PINS_SHIFT) & PINS_MASK) !== 0) { result = S.PAGE_COUNT; break; }
      if ((lo & LRU) === 0) { result = S.DEL_PAGE_LRU; break; }
      isolatedHead = head;
    }
    if (khugepaged && (lo & (YOUNG | REFERENCED)) !== 0) referenced++;
  }
  if (result < 0) {
    i = NR - 1;
    result = khugepaged && referenced === 0 ? S.LACK_REFERENCED_PAGE : S.SUCCEED;
  }
  c.result = result; c.examined = i + 1; c.referenced = referenced; c.noneOrZero = none;
  c.unmapped = 0; c.writable = writable; c.shared = shared; c.pfn = pfn;
}

/** The TypeScript scan core over one shared memory. */
export class TsScanCore implements ScanCore {
  readonly name = "ts";
  #memory: WebAssembly.Memory;
  #u32: Uint32Array;
  readonly #c: Counters = {
    result: 0, examined: 0, referenced: 0, noneOrZero: 0, unmapped: 0, writable: 0, shared: 0, pfn: 0,
  };
  /** The window needs of the last mTHP scan's max_ptes_none and rule, kept while they repeat. */
  #needs: { sysfs: number; scaled: boolean; needs: Uint32Array } = { sysfs: -1, scaled: false, needs: new Uint32Array(0) };

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
    this.#u32 = new Uint32Array(memory.buffer);
  }

  #view(): Uint32Array {
    // A grown shared memory hands out a longer buffer; old views keep the old length.
    if (this.#u32.byteLength !== this.#memory.buffer.byteLength) this.#u32 = new Uint32Array(this.#memory.buffer);
    return this.#u32;
  }

  scanPmds(
    dir: number, first: number, count: number, pmdNo: number, maxNone: number, maxSwap: number,
    maxShared: number, vmaFlags: number, scanFlags: number, ring: number, occupancy = 0,
  ): void {
    const u32 = this.#view();
    const c = this.#c;
    const needs = (scanFlags & SCAN_FLAG.MTHP_BITMAP) !== 0 ? this.#windowNeeds(maxNone, scanFlags) : null;
    for (let k = 0; k < count; k++) {
      const entry = u32[(dir >>> 2) + first + k];
      const early = pmdResult(entry);
      const occ = needs ? occupancy + k * OCCUPANCY.BYTES : -1;
      if (needs) u32.fill(0, (occ + OCCUPANCY.BITMAP) >>> 2, (occ + OCCUPANCY.WINDOWS) >>> 2);
      if (early >= 0) {
        c.result = early; c.examined = 0; c.referenced = 0; c.noneOrZero = 0;
        c.unmapped = 0; c.writable = 0; c.shared = 0; c.pfn = PFN_NONE;
      } else {
        scanPtes(u32, (entry & INDEX_MASK) * PTE_TABLE_BYTES, maxNone, maxSwap, maxShared, vmaFlags, scanFlags, c, occ);
      }
      writeRecord(u32, ring + k * RECORD.BYTES, pmdNo + k, c);
      if (needs) writeWindows(u32, occ, needs);
    }
  }

  #windowNeeds(sysfs: number, scanFlags: number): Uint32Array {
    const scaled = (scanFlags & SCAN_FLAG.MTHP_SCALED) !== 0, n = this.#needs;
    if (n.sysfs !== sysfs || n.scaled !== scaled) this.#needs = { sysfs, scaled, needs: windowNeeds(sysfs, scaled ? "scaled" : "merged") };
    return this.#needs.needs;
  }

  isolatePmd(
    table: number, pmdNo: number, maxNone: number, maxShared: number, vmaFlags: number,
    scanFlags: number, rec: number,
  ): void {
    const u32 = this.#view();
    isolatePtes(u32, table, maxNone, maxShared, vmaFlags, scanFlags, this.#c);
    writeRecord(u32, rec, pmdNo, this.#c);
  }
}
