// The PMD scan of khugepaged: `hpage_collapse_scan_pmd`'s PTE loop, batched over a
// run of PMDs, and `__collapse_huge_page_isolate`'s checks. host/core/scan_ref.ts is
// its TypeScript twin; both write the same 32-byte records, byte for byte.
import {
  PMD_HUGE, PMD_INDEX_MASK, PMD_MIGRATION, PMD_SIZE, PFN_NONE, PTE_FIELD_MAPCOUNT_BITS,
  PTE_FIELD_MAPCOUNT_SHIFT, PTE_FIELD_PINS_BITS, PTE_FIELD_PINS_SHIFT, PTE_FOLIO_ANON, PTE_FOLIO_LOCKED,
  PTE_FOLIO_LRU, PTE_FOLIO_REFERENCED, PTE_FOLIO_SWAPBACKED, PTE_BYTES, PTE_PRESENT, PTE_SPECIAL, PTE_TABLE_BYTES,
  PTE_UFFD_WP, PTE_WRITE, PTE_YOUNG, PTE_ZERO, PTES_PER_PMD, OCCUPANCY_BITMAP, OCCUPANCY_BYTES, RECORD_ADDRESS, RECORD_BYTES,
  RECORD_NONE_OR_ZERO, RECORD_PFN, RECORD_PTES_EXAMINED, RECORD_REFERENCED, RECORD_RESULT, RECORD_SHARED,
  RECORD_UNMAPPED, RECORD_WRITABLE, SCAN_DEL_PAGE_LRU, SCAN_EXCEED_NONE_PTE, SCAN_EXCEED_SHARED_PTE,
  SCAN_EXCEED_SWAP_PTE, SCAN_FLAG_KHUGEPAGED, SCAN_FLAG_LAZYFREE_SKIP, SCAN_FLAG_MTHP_BITMAP, SCAN_FLAG_MTHP_SCALED,
  SCAN_LACK_REFERENCED_PAGE,
  SCAN_NO_PTE_TABLE, SCAN_PAGE_ANON, SCAN_PAGE_COUNT, SCAN_PAGE_LAZYFREE, SCAN_PAGE_LOCK, SCAN_PAGE_LRU,
  SCAN_PAGE_NULL, SCAN_PMD_MAPPED, SCAN_PTE_NON_PRESENT, SCAN_PTE_UFFD_WP, SCAN_SUCCEED, VM_DROPPABLE,
  VM_UFFD_ARMED,
} from "./generated/layout";
import {
  folioAnon, folioLocked, folioLru, folioMaybeMappedShared, folioOrder, folioPfn, folioPins, pteCleanLazyfree,
  pteHi, pteLo, pteNoneOrZero, ptePresent, pteReferenced, pteSpecial, pteUffdWp, pteWrite,
} from "./pte";
import { clearBitmap, setWindowNeeds, writeWindows } from "./occupancy";

// Two probes ride along with the scan's exports: the layout test's PTE decoder and the
// bench's read-rate ceiling.
export { decodePteField, ptePredicate } from "./pte_probe";
export { sumBytesSimd } from "./read_rate";

@inline const NR: u32 = PTES_PER_PMD;
/** No PTE's folio examined yet. */
@inline const NO_FOLIO: i32 = -1;

/**
 * The common PTE: present, private (mapcount <= 1), anonymous, swap-backed, on the LRU,
 * unlocked, unpinned, not uffd-wp, not the zero page, not special. Every check passes for
 * it, so the scan only counts it; (lo & COMMON_MASK) == COMMON_WANT tests all at once.
 */
@inline const COMMON_MASK: u32 = PTE_PRESENT | PTE_UFFD_WP | PTE_ZERO | PTE_SPECIAL | PTE_FOLIO_ANON |
  PTE_FOLIO_SWAPBACKED | PTE_FOLIO_LRU | PTE_FOLIO_LOCKED |
  (((1 << PTE_FIELD_MAPCOUNT_BITS) - 2) << PTE_FIELD_MAPCOUNT_SHIFT) |
  (((1 << PTE_FIELD_PINS_BITS) - 1) << PTE_FIELD_PINS_SHIFT);
@inline const COMMON_WANT: u32 = PTE_PRESENT | PTE_FOLIO_ANON | PTE_FOLIO_SWAPBACKED | PTE_FOLIO_LRU;
/** PTEs per step of the SIMD loop: two 64-byte cache lines. */
@inline const SIMD_STEP: u32 = 16;
if (((PTE_YOUNG | PTE_FOLIO_REFERENCED | PTE_WRITE) >> 16) != 0) {
  ERROR("scanPmdsSimd counts PTE bits in 16-bit lanes: YOUNG, FOLIO_REFERENCED and WRITE must be below bit 16");
}

/** Write the record of one PMD: the `mm_khugepaged_scan_pmd` trace fields and the budget charge. */
@inline function writeRecord(
  rec: u32, pmdNo: u32, result: u32, examined: u32, referenced: u32, noneOrZero: u32, unmapped: u32,
  writable: u32, shared: u32, pfn: u32,
): void {
  store<u32>(rec, result, RECORD_RESULT);
  store<u32>(rec, examined, RECORD_PTES_EXAMINED);
  store<u16>(rec, referenced, RECORD_REFERENCED);
  store<u16>(rec, noneOrZero, RECORD_NONE_OR_ZERO);
  store<u16>(rec, unmapped, RECORD_UNMAPPED);
  store<u16>(rec, writable, RECORD_WRITABLE);
  store<u16>(rec, shared, RECORD_SHARED);
  store<u32>(rec, pfn, RECORD_PFN);
  store<u64>(rec, <u64>pmdNo * PMD_SIZE, RECORD_ADDRESS);
}

/** The head pfn of the folio of PTE `at`, or PFN_NONE when no folio was examined. */
@inline function pfnOf(table: u32, at: i32): u32 {
  if (at == NO_FOLIO) return PFN_NONE;
  return folioPfn(pteLo(table, at), pteHi(table, at));
}

/** The low words of the four PTEs at `p`. */
@inline function lowWords(p: u32): v128 {
  return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

/** Sum of the eight u16 lanes of `v`. */
@inline function sumLanes(v: v128): u32 {
  const w = i32x4.extadd_pairwise_i16x8_u(v);
  return i32x4.extract_lane(w, 0) + i32x4.extract_lane(w, 1) + i32x4.extract_lane(w, 2) +
    i32x4.extract_lane(w, 3);
}

/** Set bits [from, to) of the bitmap at `bits` (both ends multiples of SIMD_STEP): a whole PMD in four stores. */
@inline function setRun(bits: u32, from: u32, to: u32): void {
  if (from == 0 && to == NR) {
    const ones = i32x4.splat(-1);
    for (let b: u32 = 0; b < NR / 8; b += 16) v128.store(bits + b, ones);
    return;
  }
  for (let w = from >> 6; w <= (to - 1) >> 6; w++) {
    const at = bits + (w << 3), base = w << 6;
    const lo = max(from, base) - base, hi = min(to, base + 64) - base;
    store<u64>(at, load<u64>(at) | ((<u64>-1 >> (64 - hi)) & (<u64>-1 << lo)));
  }
}

/**
 * Scan the PTE table at `table` and write its record. With `simd` (a constant, folded
 * away by the optimiser) common PTEs are counted SIMD_STEP at a time, and the scalar
 * checks see only the steps that hold some other PTE. With `bitmap` (a constant too)
 * each PTE that passes as a mapped page sets its bit of the cleared bitmap at `occ`, a
 * run of common PTEs at once when the SIMD loop leaves it.
 */
@inline function scanTable(
  table: u32, pmdNo: u32, maxNone: u32, maxSwap: u32, maxShared: u32, vmaFlags: u32, scanFlags: u32,
  rec: u32, simd: bool, occ: u32, bitmap: bool,
): void {
  const khugepaged = (scanFlags & SCAN_FLAG_KHUGEPAGED) != 0;
  // MADV_COLLAPSE enforces no thresholds; a uffd-armed VMA tolerates no empty PTE, since
  // filling one would hide a missing-page fault from its userfaultfd handler. With mTHP
  // orders the scan takes every empty PTE but the last, so that the bitmap covers the
  // PMD; each window's max_ptes_none is applied to it afterwards (writeWindows).
  const limNone: u32 = (vmaFlags & VM_UFFD_ARMED) != 0 ? 0 : !khugepaged ? NR : bitmap ? NR - 1 : maxNone;
  const bits = occ + OCCUPANCY_BITMAP;
  const limSwap: u32 = khugepaged ? maxSwap : NR;
  const limShared: u32 = khugepaged ? maxShared : NR;
  // Lazy-free memory outside VM_DROPPABLE is memory the task gave back: collapsing it
  // would turn discardable pages into a swap-backed THP that reclaim cannot drop.
  const skipLazyfree = khugepaged && (scanFlags & SCAN_FLAG_LAZYFREE_SKIP) != 0 &&
    (vmaFlags & VM_DROPPABLE) == 0;
  let none: u32 = 0, unmapped: u32 = 0, shared: u32 = 0, referenced: u32 = 0, writable: u32 = 0;
  let folioAt: i32 = NO_FOLIO;
  let result = SCAN_SUCCEED;
  // Per-lane sums over common PTEs, at most 512 / 8 of them per lane: u16 lanes suffice.
  let vReferenced = i16x8.splat(0), vWritable = i16x8.splat(0);
  let i: u32 = 0;
  while (i < NR) {
    let end = NR;
    if (simd) {
      const mask = i32x4.splat(COMMON_MASK), want = i32x4.splat(COMMON_WANT);
      const refBits = i16x8.splat(<i16>(PTE_YOUNG | PTE_FOLIO_REFERENCED)), writeBit = i16x8.splat(<i16>PTE_WRITE);
      const one = i16x8.splat(1), counted = i32x4.splat(PTE_YOUNG | PTE_FOLIO_REFERENCED | PTE_WRITE);
      const from = i;
      for (; i < NR; i += SIMD_STEP) {
        const p = table + i * PTE_BYTES;
        const lo0 = lowWords(p), lo1 = lowWords(p + 4 * PTE_BYTES), lo2 = lowWords(p + 8 * PTE_BYTES),
          lo3 = lowWords(p + 12 * PTE_BYTES);
        const diff = v128.or(v128.or(v128.xor(lo0, want), v128.xor(lo1, want)),
          v128.or(v128.xor(lo2, want), v128.xor(lo3, want)));
        if (v128.any_true(v128.and(diff, mask))) break;
        // The counted bits sit in the low half of each word: count eight PTEs per vector.
        const f0 = i16x8.narrow_i32x4_u(v128.and(lo0, counted), v128.and(lo1, counted));
        const f1 = i16x8.narrow_i32x4_u(v128.and(lo2, counted), v128.and(lo3, counted));
        vWritable = i16x8.add(vWritable, i16x8.add(v128.and(f0, writeBit), v128.and(f1, writeBit)));
        vReferenced = i16x8.add(vReferenced,
          i16x8.add(i16x8.min_u(v128.and(f0, refBits), one), i16x8.min_u(v128.and(f1, refBits), one)));
      }
      if (i != from) {
        folioAt = <i32>i - 1;
        if (bitmap) setRun(bits, from, i);
      }
      if (i == NR) break;
      end = i + SIMD_STEP;
    }
    for (; i < end; i++) {
      const lo = pteLo(table, i);
      if (pteNoneOrZero(lo)) {
        if (++none > limNone) { result = SCAN_EXCEED_NONE_PTE; break; }
        continue;
      }
      if (!ptePresent(lo)) {
        if (++unmapped > limSwap) { result = SCAN_EXCEED_SWAP_PTE; break; }
        // Always strict with uffd-wp swap entries: collapse would lose the marker.
        if (pteUffdWp(lo)) { result = SCAN_PTE_UFFD_WP; break; }
        continue;
      }
      if (pteUffdWp(lo)) { result = SCAN_PTE_UFFD_WP; break; }
      if (pteWrite(lo)) writable++;
      if (pteSpecial(lo)) { result = SCAN_PAGE_NULL; break; }
      folioAt = <i32>i;
      if (skipLazyfree && pteCleanLazyfree(lo)) { result = SCAN_PAGE_LAZYFREE; break; }
      if (!folioAnon(lo)) { result = SCAN_PAGE_ANON; break; }
      // A page counts as shared if any page of its folio may be mapped by another mm.
      if (folioMaybeMappedShared(lo) && ++shared > limShared) { result = SCAN_EXCEED_SHARED_PTE; break; }
      if (!folioLru(lo)) { result = SCAN_PAGE_LRU; break; }
      if (folioLocked(lo)) { result = SCAN_PAGE_LOCK; break; }
      // An extra reference (a GUP pin) means someone may be writing the old page behind the copy.
      if (folioPins(lo) != 0) { result = SCAN_PAGE_COUNT; break; }
      if (khugepaged && pteReferenced(lo)) referenced++;
      // v17 marks the PTE occupied once it passed every check (bitmap_set() at the loop's end).
      if (bitmap) {
        const at = bits + ((i >> 5) << 2);
        store<u32>(at, load<u32>(at) | (<u32>1 << (i & 31)));
      }
    }
    if (result != SCAN_SUCCEED) break;
  }
  if (simd) {
    writable += sumLanes(vWritable) / PTE_WRITE;
    if (khugepaged) referenced += sumLanes(vReferenced);
  }
  let examined = i + 1;
  if (result == SCAN_SUCCEED) {
    examined = NR;
    // khugepaged wants evidence the range is in use; with swap entries it wants half
    // the PMD referenced, so that swap-in I/O is spent only on hot ranges.
    if (khugepaged && (referenced == 0 || (unmapped > 0 && referenced < NR / 2))) {
      result = SCAN_LACK_REFERENCED_PAGE;
    }
  }
  writeRecord(rec, pmdNo, result, examined, referenced, none, unmapped, writable, shared, pfnOf(table, folioAt));
}

/**
 * Scan `count` PMDs of the directory at `dir` from entry `first`, one record each from
 * `ring` on and, with `bitmap`, one occupancy record each from `occupancy` on.
 */
@inline function scanDirectory(
  dir: u32, first: u32, count: u32, pmdNo: u32, maxNone: u32, maxSwap: u32, maxShared: u32,
  vmaFlags: u32, scanFlags: u32, ring: u32, simd: bool, occupancy: u32, bitmap: bool,
): void {
  if (bitmap) setWindowNeeds(maxNone, (scanFlags & SCAN_FLAG_MTHP_SCALED) != 0);
  for (let k: u32 = 0; k < count; k++) {
    const entry = load<u32>(dir + (first + k) * 4);
    const rec = ring + k * RECORD_BYTES;
    const occ = occupancy + k * OCCUPANCY_BYTES;
    if (bitmap) clearBitmap(occ);
    // `find_pmd_or_thp_or_none`: an already huge (or migrating) PMD is never collapsed.
    if (entry == 0) {
      writeRecord(rec, pmdNo + k, SCAN_NO_PTE_TABLE, 0, 0, 0, 0, 0, 0, PFN_NONE);
    } else if ((entry & (PMD_HUGE | PMD_MIGRATION)) != 0) {
      writeRecord(rec, pmdNo + k, SCAN_PMD_MAPPED, 0, 0, 0, 0, 0, 0, PFN_NONE);
    } else {
      const table = (entry & PMD_INDEX_MASK) * PTE_TABLE_BYTES;
      scanTable(table, pmdNo + k, maxNone, maxSwap, maxShared, vmaFlags, scanFlags, rec, simd, occ, bitmap);
    }
    if (bitmap) writeWindows(occ);
  }
}

/** `scanDirectory` specialised once per call: the PMD-only scan never tests for the bitmap. */
@inline function scanDirectoryWith(
  dir: u32, first: u32, count: u32, pmdNo: u32, maxNone: u32, maxSwap: u32, maxShared: u32,
  vmaFlags: u32, scanFlags: u32, ring: u32, simd: bool, occupancy: u32,
): void {
  if ((scanFlags & SCAN_FLAG_MTHP_BITMAP) != 0) {
    scanDirectory(dir, first, count, pmdNo, maxNone, maxSwap, maxShared, vmaFlags, scanFlags, ring, simd, occupancy, true);
  } else {
    scanDirectory(dir, first, count, pmdNo, maxNone, maxSwap, maxShared, vmaFlags, scanFlags, ring, simd, 0, false);
  }
}

/** `hpage_collapse_scan_pmd` over `count` PMDs, one PTE at a time. */
export function scanPmds(
  dir: u32, first: u32, count: u32, pmdNo: u32, maxPtesNone: u32, maxPtesSwap: u32, maxPtesShared: u32,
  vmaFlags: u32, scanFlags: u32, ring: u32, occupancy: u32,
): void {
  scanDirectoryWith(dir, first, count, pmdNo, maxPtesNone, maxPtesSwap, maxPtesShared, vmaFlags, scanFlags, ring, false, occupancy);
}

/** `scanPmds` with common PTEs counted sixteen at a time in SIMD; identical records. */
export function scanPmdsSimd(
  dir: u32, first: u32, count: u32, pmdNo: u32, maxPtesNone: u32, maxPtesSwap: u32, maxPtesShared: u32,
  vmaFlags: u32, scanFlags: u32, ring: u32, occupancy: u32,
): void {
  scanDirectoryWith(dir, first, count, pmdNo, maxPtesNone, maxPtesSwap, maxPtesShared, vmaFlags, scanFlags, ring, true, occupancy);
}

/** `__collapse_huge_page_isolate`'s checks over the detached PTE table at `table`. */
export function isolatePmd(
  table: u32, pmdNo: u32, maxPtesNone: u32, maxPtesShared: u32, vmaFlags: u32, scanFlags: u32, rec: u32,
): void {
  const khugepaged = (scanFlags & SCAN_FLAG_KHUGEPAGED) != 0;
  const uffdArmed = (vmaFlags & VM_UFFD_ARMED) != 0;
  const skipLazyfree = khugepaged && (scanFlags & SCAN_FLAG_LAZYFREE_SKIP) != 0 &&
    (vmaFlags & VM_DROPPABLE) == 0;
  let none: u32 = 0, shared: u32 = 0, referenced: u32 = 0, writable: u32 = 0;
  let folioAt: i32 = NO_FOLIO;
  let isolatedHead = PFN_NONE;
  let result = SCAN_SUCCEED;
  let i: u32 = 0;
  for (; i < NR; i++) {
    const lo = pteLo(table, i);
    if (pteNoneOrZero(lo)) {
      if ((++none > maxPtesNone && khugepaged) || uffdArmed) { result = SCAN_EXCEED_NONE_PTE; break; }
      continue;
    }
    // Swap-in already ran: anything still not present is a race the collapse loses.
    if (!ptePresent(lo)) { result = SCAN_PTE_NON_PRESENT; break; }
    if (pteUffdWp(lo)) { result = SCAN_PTE_UFFD_WP; break; }
    if (pteWrite(lo)) writable++;
    if (pteSpecial(lo)) { result = SCAN_PAGE_NULL; break; }
    folioAt = <i32>i;
    const head = folioPfn(lo, pteHi(table, i));
    if (!folioAnon(lo)) { result = SCAN_PAGE_ANON; break; }
    // Catches pages given back with MADV_FREE between the scan and the collapse.
    if (skipLazyfree && pteCleanLazyfree(lo)) { result = SCAN_PAGE_LAZYFREE; break; }
    if (folioMaybeMappedShared(lo) && ++shared > maxPtesShared && khugepaged) {
      result = SCAN_EXCEED_SHARED_PTE; break;
    }
    // A large folio is locked and isolated once, at its first PTE.
    if (folioOrder(lo) == 0 || head != isolatedHead) {
      if (folioLocked(lo)) { result = SCAN_PAGE_LOCK; break; }
      if (folioPins(lo) != 0) { result = SCAN_PAGE_COUNT; break; }
      if (!folioLru(lo)) { result = SCAN_DEL_PAGE_LRU; break; }
      isolatedHead = head;
    }
    if (khugepaged && pteReferenced(lo)) referenced++;
  }
  let examined = i + 1;
  if (result == SCAN_SUCCEED) {
    examined = NR;
    // No 50% rule here: the scan already judged the range hot, one reference will do.
    if (khugepaged && referenced == 0) result = SCAN_LACK_REFERENCED_PAGE;
  }
  writeRecord(rec, pmdNo, result, examined, referenced, none, 0, writable, shared, pfnOf(table, folioAt));
}
