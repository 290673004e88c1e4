/**
 * The shared-memory layout that the host writes and the WASM core reads: PTE word
 * bits, PMD directory entries, VMA flags and the per-PMD scan record. This module is
 * the single definition; `scripts/build.ts` generates `assembly/generated/layout.ts`
 * from it, and test/layout.test.ts proves that both sides decode the same words.
 *
 * A PTE is one little-endian u64 (8 bytes per mapped 4 KiB page, folio included).
 * Low 32 bits: PTE bits and the state of the folio the page belongs to. A large folio
 * keeps its folio-wide state replicated in every PTE that maps it, so the scan never
 * follows a pointer. High 32 bits: the page frame number.
 */

/** Bits of the low word of a PTE. */
export const PTE = {
  PRESENT: 1 << 0,
  /** Accessed bit; the scan counts it as a reference. */
  YOUNG: 1 << 1,
  DIRTY: 1 << 2,
  WRITE: 1 << 3,
  /** userfaultfd write-protect bit, or the uffd-wp marker of a non-present entry. */
  UFFD_WP: 1 << 4,
  /** A non-present swap entry (with PRESENT clear). */
  SWAP: 1 << 5,
  /** Present, mapping the shared zero page. */
  ZERO: 1 << 6,
  /** Present, but `vm_normal_page()` finds no normal page (special or device mapping). */
  SPECIAL: 1 << 7,
  /** Folio state, meaningful for a present normal page. */
  FOLIO_ANON: 1 << 8,
  FOLIO_SWAPBACKED: 1 << 9,
  FOLIO_LRU: 1 << 10,
  FOLIO_LOCKED: 1 << 11,
  FOLIO_REFERENCED: 1 << 12,
  FOLIO_SWAPCACHE: 1 << 13,
  /** PG_dirty of the folio (not the PTE's dirty bit): set when a dirty huge PMD is split. */
  FOLIO_DIRTY: 1 << 14,
} as const;

/** Multi-bit fields of the low word: shift and width. */
export const PTE_FIELD = {
  /** Folio order: 0 for a small folio, up to 9 for a PMD-sized folio mapped by PTEs. */
  ORDER: { shift: 16, bits: 4 },
  /** Mappings of the page (saturating); more than one means the folio may be mapped shared. */
  MAPCOUNT: { shift: 20, bits: 6 },
  /** References beyond `folio_expected_ref_count()` (GUP pins, batches), saturating. */
  PINS: { shift: 26, bits: 6 },
} as const;

export const PTE_BYTES = 8;
export const PTES_PER_PMD = 512;
export const PTE_TABLE_BYTES = PTES_PER_PMD * PTE_BYTES;
export const PAGE_SIZE = 4096;
export const PMD_SIZE = 2 * 1024 * 1024;
/** No folio: the trace's `scan_pfn=0xffffffffffffffff`. */
export const PFN_NONE = 0xffffffff;

/**
 * A PMD directory entry is a u32. 0 is `pmd_none` (no PTE table: costs no PTE memory).
 * With PMD_HUGE set the PMD maps a 2 MiB folio whose head pfn >> 9 is in the low bits.
 * With PMD_MIGRATION set it is a PMD migration entry. Otherwise the value is the byte
 * offset of the PTE table divided by PTE_TABLE_BYTES.
 */
export const PMD = {
  HUGE: 0x80000000,
  MIGRATION: 0x40000000,
  INDEX_MASK: 0x3fffffff,
} as const;

/** VMA flags the core reads (bit values are ours, names are the kernel's). */
export const VMA = {
  VM_WRITE: 1 << 0,
  VM_HUGEPAGE: 1 << 1,
  VM_NOHUGEPAGE: 1 << 2,
  VM_DROPPABLE: 1 << 3,
  /** Registered with userfaultfd (missing or wp): `userfaultfd_armed()`. */
  VM_UFFD_ARMED: 1 << 4,
} as const;

/** Flags of one scan call: which collapse control and which kernel variant. */
export const SCAN_FLAG = {
  /** `cc->is_khugepaged`: false for MADV_COLLAPSE. */
  KHUGEPAGED: 1 << 0,
  /** The v8 "skip lazy-free folios" switch. */
  LAZYFREE_SKIP: 1 << 1,
  /**
   * mTHP collapse (7.2 with an mTHP size on): the scan takes up to 511 empty PTEs, records
   * its occupied bitmap and judges every aligned window against the per-order
   * max_ptes_none, writing an OCCUPANCY record per PMD; max_ptes_none is the sysfs value.
   */
  MTHP_BITMAP: 1 << 2,
  /** With MTHP_BITMAP: the earlier postings' order-scaled max_ptes_none instead of v18's 0-or-511 rule. */
  MTHP_SCALED: 1 << 3,
} as const;

/**
 * One scan record (32 bytes), written per PMD by the batched scan and by isolate.
 * `ptesExamined` is how many PTEs the loop looked at, the failing one included
 * (0 when the PMD itself decided); the 7.1 budget charge derives from it.
 */
export const RECORD = {
  BYTES: 32,
  RESULT: 0, // u32
  PTES_EXAMINED: 4, // u32
  REFERENCED: 8, // u16
  NONE_OR_ZERO: 10, // u16
  UNMAPPED: 12, // u16
  WRITABLE: 14, // u16
  SHARED: 16, // u16
  PFN: 20, // u32, PFN_NONE when no folio was examined
  ADDRESS: 24, // u64
} as const;

/**
 * One occupancy record (96 bytes), written per PMD beside its scan record under
 * SCAN_FLAG.MTHP_BITMAP. BITMAP: 512 bits, bit i (u32 word i >> 5, bit i & 31) set when
 * PTE i passed every check of the scan as a mapped page (v17's `bitmap_set()` at the end
 * of the PTE loop's body), so a PMD the scan accepted has every present, non-zero-page PTE
 * set. WINDOWS: 256 bits, the aligned windows of orders 2 (MIN_ORDER) to 9 numbered as a
 * binary tree (node 1 the PMD, node n's halves 2n and 2n + 1, so the window of order o at
 * PTE offset x is node 2^(9 − o) + (x >> o)); a node's bit is set when the window holds
 * enough occupied PTEs for its order (`occupied ≥ 2^o − max_ptes_none(o)`).
 */
export const OCCUPANCY = {
  BYTES: 96,
  BITMAP: 0,
  WINDOWS: 64,
  MIN_ORDER: 2,
} as const;

/** Bytes at the bottom of memory kept for the core's own static data. */
export const CORE_RESERVED_BYTES = 64 * 1024;
