/**
 * The shared-memory layout of the TLB model: the per-task TLB block, the access
 * stream block and the counter block. This one file is read by the host (TypeScript)
 * and imported as it is by the WASM core (assembly/tlb.ts), so it holds nothing but
 * integer constants that both languages accept.
 *
 * A TLB block starts with seven array descriptors (L1 for 4 KiB pages, L1 for 2 MiB
 * pages, L2 for 4 KiB, L2 for 2 MiB, and the three page-walk caches). Two descriptors
 * that share their arrays describe one array holding both page sizes (a unified L1, a
 * shared L2). Each set keeps its tags in a ring with its MRU slot at `heads[set]`, so
 * LRU order is the ring order and a miss replaces the LRU tag in O(1).
 */

/** Bytes of one array descriptor (six u32 words). */
export const DESC_BYTES = 24;
/** Byte offset of the u32 tags, `sets * ways` of them, each set's ring contiguous. */
export const DESC_TAGS = 0;
/** Byte offset of the u32 ring heads, one per set: the slot of the set's MRU tag. */
export const DESC_HEADS = 4;
/** `sets - 1`; sets is a power of two and a tag's set is `key & SET_MASK`. */
export const DESC_SET_MASK = 8;
/** Ways per set; 0 means the array is absent (every lookup misses, nothing is filled). */
export const DESC_WAYS = 12;
/**
 * Byte offset of a u16 counting filter (0 if none): slot `hash(tag)` counts the resident
 * tags hashing there, so a zero proves a miss without scanning a wide set.
 */
export const DESC_FILTER = 16;
/** `32 - log2(filter slots)`: a tag's slot is `imul(tag, FILTER_HASH) >>> FILTER_SHIFT`. */
export const DESC_FILTER_SHIFT = 20;

/** Fibonacci hashing multiplier (2^32 / golden ratio) for the counting filter. */
export const FILTER_HASH = 0x9e3779b1;
/** An empty way. No real tag reaches it: a 2 MiB tag's PMD index is below 2^22. */
export const TAG_INVALID = 0xffffffff;
/** Set in the tag of a 2 MiB page (tag = HUGE_TAG | pmd); a 4 KiB tag is its page number. */
export const HUGE_TAG = 0x80000000;

/** Descriptor offsets inside the TLB block. */
export const TLB_L1_4K = 0;
export const TLB_L1_2M = 24;
export const TLB_L2_4K = 48;
export const TLB_L2_2M = 72;
/** Page-walk caches, named for the kernel's levels: PMD entries (x86 PDEs) keyed by address >> 21. */
export const TLB_PWC_PMD = 96;
/** PUD entries (x86 PDPTEs) keyed by address >> 30. */
export const TLB_PWC_PUD = 120;
/** PGD entries (x86 PML4Es) keyed by address >> 39. */
export const TLB_PWC_PGD = 144;
export const TLB_HEADER_BYTES = 168;

/** Access pattern kinds of a stream. */
export const KIND_SEQUENTIAL = 0;
export const KIND_UNIFORM = 1;
export const KIND_HOT = 2;
export const KIND_ZIPF = 3;

/**
 * The stream block: region, pattern, cursor and PRNG state (u32 words). The core
 * advances the cursor and the PRNG and writes them back, so consecutive runs continue
 * one stream.
 */
export const STREAM_DIR = 0; // byte offset of the mm's PMD directory (u32 per 2 MiB)
export const STREAM_BASE_PAGE = 4; // 4 KiB page number of the region start (directory index * 512 + page)
export const STREAM_PAGES = 8; // region length in 4 KiB pages
export const STREAM_KIND = 12;
export const STREAM_STORE_THRESHOLD = 16; // an access is a store if a draw is below it; 0: all loads, no draw
/** Pattern words. Sequential: stride pages, stride bytes below 4096, cursor page, cursor byte. */
export const STREAM_P0 = 20;
/** Hot: hot start page, hot pages, hot threshold. Zipf: alias table byte offset (P0). */
export const STREAM_P1 = 24;
export const STREAM_P2 = 28;
export const STREAM_P3 = 32;
/** xoshiro128** state, four u32 words. */
export const STREAM_RNG = 36;
export const STREAM_BYTES = 64;

/** One Zipf alias-table bucket: u32 threshold, u32 page, u32 alias page. */
export const ZIPF_BUCKET_BYTES = 12;

/** The counter block: f64 counts of one run, overwritten by each run. */
export const OUT_ACCESSES = 0;
export const OUT_LOADS = 8;
export const OUT_STORES = 16;
export const OUT_L1_MISSES_4K = 24;
export const OUT_L1_MISSES_2M = 32;
export const OUT_L2_HITS = 40;
/** Completed page walks (every L2 miss: the model has no faulting walks). */
export const OUT_WALKS = 48;
export const OUT_WALKS_ON_LOADS = 56;
/** Paging-structure loads the walks made after the page-walk caches. */
export const OUT_WALK_REFS = 64;
export const OUT_BYTES = 72;
