/**
 * The shared-memory layout of the TLB model: the per-task TLB block, the access
 * stream block and the counter block. This module is the single definition: it holds
 * nothing but u32 constants, and `scripts/build.ts` generates
 * `assembly/generated/tlb_layout.ts` from it for the WASM core (assembly/tlb.ts).
 *
 * A TLB block starts with seven array descriptors (L1 for 4 KiB pages, L1 for 2 MiB
 * pages, L2 for 4 KiB, L2 for 2 MiB, and the three page-walk caches). Two descriptors
 * that share their arrays describe one array holding both page sizes (a unified L1, a
 * shared L2). Every array is exact LRU within a set, kept one of two ways:
 * - a set of up to 16 ways: 16 u32 tag slots (one 64-byte line, unused ways hold
 *   TAG_INVALID) and 16 u8 ages (0 is MRU, ways - 1 is LRU, unused ways 255), so a
 *   lookup, the LRU victim and the age update are a few SIMD operations and one
 *   branch, hit or miss;
 * - a wide fully associative array (one set of more than 16 ways, as Zen's L1 DTLB): a
 *   circular doubly linked LRU list over the ways plus an open-addressed hash index from
 *   tag to way, so a hit and a miss both cost O(1) instead of a pass over every way.
 */

/** Bytes of one array descriptor (seven u32 words). */
export const DESC_BYTES = 28;
/** Byte offset of the u32 tags: 16 slots per set for a narrow array, `ways` for a wide one. */
export const DESC_TAGS = 0;
/** Tag slots (and age bytes) per narrow set. */
export const NARROW_SLOTS = 16;
/**
 * Byte offset of the replacement state: a narrow array's u8 ages, 16 per set; a wide
 * array's two u32 words, its MRU way then its LRU way.
 */
export const DESC_ORDER = 4;
/** `sets - 1`; sets is a power of two and a tag's set is `key & SET_MASK`. */
export const DESC_SET_MASK = 8;
/** Ways per set; 0 means the array is absent (every lookup misses, nothing is filled). */
export const DESC_WAYS = 12;
/**
 * Byte offset of a wide array's hash index (0 for a narrow array): u16 slots holding
 * way + 1, 0 when empty, linear probing from `imul(tag, INDEX_HASH) >>> INDEX_SHIFT`.
 */
export const DESC_INDEX = 16;
/** `32 - log2(index slots)`. */
export const DESC_INDEX_SHIFT = 20;
/**
 * Byte offset of a wide array's list links, u16 `prev[ways]` then u16 `next[ways]`, and
 * then u32 `slot[ways]`: the index slot holding each way's tag (unread for an empty way),
 * so a way's tag leaves the index without a probe for it.
 */
export const DESC_LINKS = 24;

/** Fibonacci hashing multiplier (2^32 / golden ratio) of the hash index. */
export const INDEX_HASH = 0x9e3779b1;
/** An empty way. No real tag reaches it: a 2 MiB tag's PMD index is below 2^22. */
export const TAG_INVALID = 0xffffffff;
/** Set in the tag of a 2 MiB page (tag = HUGE_TAG | pmd); a 4 KiB tag is its page number. */
export const HUGE_TAG = 0x80000000;

/** Descriptor offsets inside the TLB block. */
export const TLB_L1_4K = 0;
export const TLB_L1_2M = DESC_BYTES;
export const TLB_L2_4K = 2 * DESC_BYTES;
export const TLB_L2_2M = 3 * DESC_BYTES;
/** Page-walk caches, named for the kernel's levels: PMD entries (x86 PDEs) keyed by address >> 21. */
export const TLB_PWC_PMD = 4 * DESC_BYTES;
/** PUD entries (x86 PDPTEs) keyed by address >> 30. */
export const TLB_PWC_PUD = 5 * DESC_BYTES;
/** PGD entries (x86 PML4Es) keyed by address >> 39. */
export const TLB_PWC_PGD = 6 * DESC_BYTES;
/**
 * Paging levels of the host's nested walk under a guest (host/tlb/virtualization.ts): 0 on
 * bare metal; 4, 3 or 2 when the host maps guest memory with 4 KiB, 2 MiB or 1 GiB pages.
 * With 4 the guest's 2 MiB pages are splintered: an entry maps the smaller page, 4 KiB.
 */
export const TLB_HOST_LEVELS = 7 * DESC_BYTES;
/**
 * log2 of the 4 KiB pages one coalesced entry maps (AMD Zen's PTE coalescing, see
 * host/tlb/presets.ts), 0 when the TLB coalesces nothing. A 4 KiB page whose naturally
 * aligned group of that many PTEs maps as many contiguous, equally aligned frames with
 * one set of permissions is held as one entry, tag COALESCED_TAG | (page >> shift).
 */
export const TLB_COALESCE_SHIFT = 7 * DESC_BYTES + 4;
/**
 * The nested walk's caches, used under a host only (host/tlb/virtualization.ts). The
 * nested TLB holds the host translation of a guest-physical page, keyed by the frame
 * number in host pages; the nested walk cache holds the host's entry one level above
 * its leaf, keyed by that number >> 9. A guest paging-structure page's frame is
 * NESTED_TABLE_FRAMES | its table index for a PTE table, NESTED_PMD_FRAMES | the PUD
 * index for a PMD table, NESTED_PUD_FRAMES | the PGD index for a PUD table, and
 * NESTED_PGD_FRAME for the PGD: frames apart from every data frame (below 2^31).
 */
export const TLB_NTLB = 7 * DESC_BYTES + 8;
export const TLB_NPWC = 8 * DESC_BYTES + 8;
/**
 * A host that backs guest memory with a mix of page sizes (TLB_HOST_MIX non-zero; then
 * TLB_HOST_LEVELS is only non-zero): a guest-physical 1 GiB region is backed by 1 GiB
 * pages when fmix32((region >> 9 | 2^31) ^ seed) is below TLB_HOST_MIX_1G, and
 * otherwise each 2 MiB region by 4 KiB pages when fmix32(region ^ seed) is below
 * TLB_HOST_MIX_4K, else by 2 MiB pages (host/tlb/virtualization.ts hostLevelsAt).
 */
export const TLB_HOST_MIX = 9 * DESC_BYTES + 8;
export const TLB_HOST_MIX_SEED = 9 * DESC_BYTES + 12;
export const TLB_HOST_MIX_1G = 9 * DESC_BYTES + 16;
export const TLB_HOST_MIX_4K = 9 * DESC_BYTES + 20;
export const TLB_HEADER_BYTES = 9 * DESC_BYTES + 24;
export const NESTED_TABLE_FRAMES = 0x80000000;
export const NESTED_PMD_FRAMES = 0xf0000000;
export const NESTED_PUD_FRAMES = 0xf8000000;
export const NESTED_PGD_FRAME = 0xfc000000;
/**
 * Nested-cache tags of a frame number in pages of 2^9, 2^18 and 2^27 frames: the prefix
 * keeps them apart from one another and from 4 KiB frame numbers (below 0xfc000001).
 */
export const NESTED_2M_TAG = 0xfe000000;
export const NESTED_1G_TAG = 0xff000000;
export const NESTED_512G_TAG = 0xff800000;

/** Set (with HUGE_TAG) in a coalesced entry's tag: its group number is below 2^29, apart from every other tag. */
export const COALESCED_TAG = 0xc0000000;

/**
 * The loops of the WASM core's tlbRun, by the shape of TLB they are built for (its
 * `tlbLoopShape` export says which one a TLB block takes): any shape; Zen's wide L1 and
 * PMD cache over narrow sets; Intel's narrow sets everywhere with a separate L1 per page
 * size. Both specialised shapes share one L2 between the page sizes.
 */
export const LOOP_GENERAL = 0;
export const LOOP_ZEN = 1;
export const LOOP_COVE = 2;

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
/**
 * Pattern words P0-P3.
 * - sequential: stride pages, stride bytes below 4096, cursor page, cursor byte (the
 *   core advances the cursor);
 * - hot: first hot page, hot pages, hot threshold (a draw below it picks the hot block);
 * - zipf: byte offset of the alias table (P0), one bucket per page of the region;
 * - uniform: unused.
 */
export const STREAM_P0 = 20;
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
