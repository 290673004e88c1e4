/*
 * The native twin of the WASM TLB loop (assembly/tlb.ts, tlbRun), for the uniform
 * access pattern with loads only: the baseline bench/tlb.ts measures the WASM core
 * against. It mirrors the WASM core step for step (the xoshiro128** stream, the PMD
 * directory, narrow sets compared 16 ways at once with SSE2/SSSE3, wide fully
 * associative arrays kept as a hashed LRU list, the L1 / L2 / page-walk-cache flow and
 * its counts, the PTE coalescing decided from the PTE tables), so that from the same seed
 * it counts exactly what the WASM core counts; bench/tlb.ts checks that it does before it
 * quotes a speed. It models bare metal only: the TLB block's host levels are 0 (no nested
 * paging, host/tlb/virtualization.ts).
 *
 * Usage: tlb L1 L1HUGE L2 L2HUGE PWC_PMD PWC_PUD PWC_PGD COALESCE BASE_PAGE PAGES DIR PTES S0 S1 S2 S3 WARM_UP TIMED
 *   L1 .. PWC_PGD  the seven arrays of a TLB block (host/tlb/tlb_layout.ts), each
 *                  ENTRIES:WAYS or "none" (absent: every lookup misses, nothing is
 *                  filled); L1HUGE and L2HUGE may also be "shared" (the L1 or the L2
 *                  array holds both page sizes)
 *   COALESCE       log2 of the 4 KiB pages a coalesced entry holds, 0 for none (the
 *                  TLB block's TLB_COALESCE_SHIFT)
 *   BASE_PAGE      4 KiB page number of the region's first page, counted from
 *                  directory entry 0 (the stream block's STREAM_BASE_PAGE)
 *   PAGES          region length in 4 KiB pages
 *   DIR            the PMD directory from entry 0, one character per entry: 1 for a
 *                  2 MiB page, 0 for a PTE table
 *   PTES           a file of 512 little-endian u64 PTEs (host/core/layout.ts) per entry
 *                  of DIR, in its order (a 2 MiB entry's are not read)
 *   S0 .. S3       the xoshiro128** state, four decimal u32 words (STREAM_RNG)
 *   WARM_UP        accesses of the warm-up run, on empty TLBs
 *   TIMED          accesses of each of the REPEATS timed runs, which continue the
 *                  warm-up run's stream and TLB state
 *
 * Prints one JSON line: the warm-up run's counts and the accesses per second of the
 * best timed run.
 *
 * Build: cc -std=c11 -O2 -march=native -o tlb tlb.c (-mssse3 where -march=native is refused)
 */
#define _POSIX_C_SOURCE 199309L

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tmmintrin.h>

/* The constants of host/tlb/tlb_layout.ts and host/core/layout.ts. */
#define NARROW_SLOTS 16u
#define INDEX_SLOTS_PER_WAY 64u
#define INDEX_HASH 0x9e3779b1u
#define TAG_INVALID 0xffffffffu
#define HUGE_TAG 0x80000000u
#define PMD_HUGE 0x80000000u
#define PMD_MIGRATION 0x40000000u
#define PMD_INDEX_MASK 0x3fffffffu
#define PTE_PRESENT 0x1u
#define PTE_WRITE 0x8u
#define PTES_PER_PMD 512u
#define COALESCED_TAG 0xc0000000u

/* Timed runs; the best one is reported, as a benchmark's fastest sample is the least disturbed. */
#define REPEATS 5

/* The loops take their array kinds as constants, so they must be inlined to be specialised. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* One array of a TLB: narrow sets of up to 16 ways, or one wide fully associative set. */
typedef struct {
  /* Narrow: 16 slots per set (unused ways TAG_INVALID); wide: one per way. */
  uint32_t *tags;
  /* Narrow: 16 ages per set, 0 the MRU, ways - 1 the LRU, unused ways 255. */
  uint8_t *ages;
  uint32_t set_mask;
  /* 0: absent. */
  uint32_t ways;
  /* Wide: the hash index, u16 slots holding way + 1 (0 empty); NULL for a narrow array. */
  uint16_t *index;
  uint32_t index_shift;
  /* Wide: the MRU and LRU ways, the circular list between them, and each way's index slot. */
  uint32_t mru, lru;
  uint16_t *prev, *next;
  uint32_t *slot;
} Array;

/* The descriptors of a TLB block, in its order; two of them may point to one array. */
enum { L1_4K, L1_2M, L2_4K, L2_2M, PWC_PMD, PWC_PUD, PWC_PGD, DESCRIPTORS };

typedef struct {
  Array *desc[DESCRIPTORS];
} Tlb;

typedef struct {
  const uint32_t *dir;
  /* The PTE table of directory entry value v (v > 0, not huge) starts at ptes + (v - 1) * 512. */
  const uint64_t *ptes;
  uint32_t coalesce_shift;
  uint32_t base_page;
  uint32_t pages;
  uint32_t s[4];
} Stream;

typedef struct {
  uint64_t accesses, l1_misses_4k, l1_misses_2m, l2_hits, walks, walk_refs;
} Counts;

static void fail(const char *message, const char *arg) {
  fprintf(stderr, "tlb: %s: %s\n", message, arg);
  exit(2);
}

static void *alloc_aligned(size_t align, size_t bytes) {
  /* aligned_alloc wants a size that is a multiple of the alignment. */
  void *p = aligned_alloc(align, (bytes + align - 1) / align * align);
  if (p == NULL) fail("out of memory", "aligned_alloc");
  return p;
}

/* The home slot of `tag` in a hash index of 32 - shift bits (Fibonacci hashing). */
ALWAYS_INLINE uint32_t home(uint32_t tag, uint32_t shift) {
  return (tag * INDEX_HASH) >> shift;
}

/* Lay out an array of `entries` in `ways` as host/tlb/tlb.ts #place does, empty as its reset() leaves it. */
static Array *new_array(uint32_t entries, uint32_t ways, const char *arg) {
  uint32_t sets = ways == 0 ? 0 : entries / ways;
  bool wide = sets == 1 && ways > NARROW_SLOTS;
  if (ways == 0 || sets * ways != entries || (sets & (sets - 1)) != 0 || (wide ? ways > 0xffff : ways > NARROW_SLOTS)) {
    fail("an array must have a power-of-two number of sets of at most 16 ways, or be fully associative "
         "with at most 65535 entries", arg);
  }
  Array *a = calloc(1, sizeof *a);
  if (a == NULL) fail("out of memory", "calloc");
  a->ways = ways;
  a->set_mask = sets - 1;
  if (!wide) {
    a->tags = alloc_aligned(64, (size_t)sets * NARROW_SLOTS * 4);
    a->ages = alloc_aligned(16, (size_t)sets * NARROW_SLOTS);
    for (uint32_t i = 0; i < sets * NARROW_SLOTS; i++) {
      uint32_t lane = i % NARROW_SLOTS;
      a->tags[i] = TAG_INVALID;
      a->ages[i] = lane < ways ? (uint8_t)lane : 255;
    }
    return a;
  }
  /* Index slots: the power of two at or above 64 per way, so the index is at most 1/64 full. */
  uint32_t bits = 0;
  while ((1u << bits) < ways * INDEX_SLOTS_PER_WAY) bits++;
  a->index_shift = 32 - bits;
  a->index = alloc_aligned(64, (size_t)2 << bits);
  memset(a->index, 0, (size_t)2 << bits);
  a->tags = alloc_aligned(64, (size_t)ways * 4);
  a->prev = alloc_aligned(4, (size_t)ways * 2);
  a->next = alloc_aligned(4, (size_t)ways * 2);
  a->slot = alloc_aligned(4, (size_t)ways * 4);
  /* The circular list runs 0 (MRU) to ways - 1 (LRU); every way is empty and out of the index. */
  for (uint32_t i = 0; i < ways; i++) {
    a->tags[i] = TAG_INVALID;
    a->prev[i] = (uint16_t)((i + ways - 1) % ways);
    a->next[i] = (uint16_t)((i + 1) % ways);
  }
  a->mru = 0;
  a->lru = ways - 1;
  return a;
}

/*
 * touchNarrow: compare the tag against all 16 slots of its set at once. A hit makes its
 * way age 0 and ages every younger way by one; a miss gives the tag to the LRU way (age
 * ways - 1), which makes it age 0 and every other used way one older.
 */
ALWAYS_INLINE bool touch_narrow(Array *a, uint32_t tag, uint32_t key) {
  uint32_t set = key & a->set_mask;
  uint32_t *tags = a->tags + set * NARROW_SLOTS;
  uint8_t *ages_at = a->ages + set * NARROW_SLOTS;
  const __m128i *t = (const __m128i *)tags;
  __m128i want = _mm_set1_epi32((int)tag);
  /* Saturating packs turn the four 4-lane compares into one 16-lane byte mask. */
  __m128i hits = _mm_packs_epi16(
      _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(t), want), _mm_cmpeq_epi32(_mm_load_si128(t + 1), want)),
      _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(t + 2), want), _mm_cmpeq_epi32(_mm_load_si128(t + 3), want)));
  __m128i ages = _mm_load_si128((const __m128i *)ages_at);
  unsigned match = (unsigned)_mm_movemask_epi8(hits);
  if (match != 0) {
    __m128i age = _mm_shuffle_epi8(ages, _mm_set1_epi8((char)__builtin_ctz(match)));
    /* SSE compares bytes as signed only: flip the sign bits for the unsigned ages < age. */
    __m128i sign = _mm_set1_epi8((char)0x80);
    __m128i younger = _mm_cmplt_epi8(_mm_xor_si128(ages, sign), _mm_xor_si128(age, sign));
    _mm_store_si128((__m128i *)ages_at, _mm_andnot_si128(hits, _mm_sub_epi8(ages, younger)));
    return true;
  }
  __m128i lrus = _mm_cmpeq_epi8(ages, _mm_set1_epi8((char)(a->ways - 1)));
  tags[__builtin_ctz((unsigned)_mm_movemask_epi8(lrus))] = tag;
  /* Unused ways stay at 255: the add saturates. */
  _mm_store_si128((__m128i *)ages_at, _mm_andnot_si128(lrus, _mm_adds_epu8(ages, _mm_set1_epi8(1))));
  return false;
}

/*
 * touchWide: the hash index finds the way in O(1), the linked list keeps LRU order, and
 * a miss reuses the LRU way (its old tag leaves the index by backward-shift deletion
 * from the slot the way records, so probes never cross a hole).
 */
ALWAYS_INLINE bool touch_wide(Array *a, uint32_t tag) {
  uint32_t *tags = a->tags, *slot = a->slot;
  uint16_t *index = a->index;
  uint16_t *prev = a->prev, *next = a->next;
  uint32_t shift = a->index_shift;
  uint32_t mask = UINT32_MAX >> shift;
  uint32_t way = 0;
  bool hit = false;
  for (uint32_t s = home(tag, shift);; s = (s + 1) & mask) {
    uint32_t e = index[s];
    if (e == 0) break;
    if (tags[e - 1] == tag) {
      hit = true;
      way = e - 1;
      break;
    }
  }
  if (!hit) {
    way = a->lru;
    if (tags[way] != TAG_INVALID) {
      uint32_t i = slot[way];
      for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        uint32_t e = index[j];
        if (e == 0) break;
        uint32_t k = home(tags[e - 1], shift);
        /* The entry at j may fill the hole at i unless its home lies cyclically in (i, j]. */
        if (((j - k) & mask) >= ((j - i) & mask)) {
          index[i] = (uint16_t)e;
          slot[e - 1] = i;
          i = j;
        }
      }
      index[i] = 0;
    }
    tags[way] = tag;
    uint32_t s = home(tag, shift);
    while (index[s] != 0) s = (s + 1) & mask;
    index[s] = (uint16_t)(way + 1);
    slot[way] = s;
    /* The list is circular (the LRU way's next is the MRU way), so making the LRU way the
       MRU is one step of the ends. */
    a->mru = way;
    a->lru = prev[way];
    return false;
  }
  /* A hit on the LRU way is the same step; any other way but the MRU one is unlinked and
     put between them. */
  uint32_t head = a->mru, tail = a->lru;
  if (way == tail) {
    a->mru = way;
    a->lru = prev[way];
  } else if (way != head) {
    uint32_t p = prev[way], n = next[way];
    next[p] = (uint16_t)n;
    prev[n] = (uint16_t)p;
    prev[way] = (uint16_t)tail;
    next[way] = (uint16_t)head;
    next[tail] = (uint16_t)way;
    prev[head] = (uint16_t)way;
    a->mru = way;
  }
  return true;
}

/* How a loop reaches an array: known wide, known narrow, or read from the array. */
enum { ARRAY_WIDE, ARRAY_NARROW, ARRAY_ANY };

/* Look `tag` up and make it the MRU of its set, filling on a miss; `kind` is a constant at every call. */
ALWAYS_INLINE bool touch(int kind, Array *a, uint32_t tag, uint32_t key) {
  if (kind == ARRAY_WIDE) return touch_wide(a, tag);
  if (kind == ARRAY_NARROW) return touch_narrow(a, tag, key);
  if (a->ways == 0) return false;
  return a->index == NULL ? touch_narrow(a, tag, key) : touch_wide(a, tag);
}

static int kind_of(const Array *a) {
  if (a->ways == 0) return ARRAY_ANY;
  return a->index != NULL ? ARRAY_WIDE : ARRAY_NARROW;
}

static int kind_of_pair(const Tlb *t, int a, int b) {
  int k = kind_of(t->desc[a]);
  return k == kind_of(t->desc[b]) ? k : ARRAY_ANY;
}

static bool one_array(const Tlb *t, int a, int b) {
  return t->desc[a] == t->desc[b] && t->desc[a]->ways != 0;
}

/*
 * coalesces: whether 4 KiB page `abs_page` of the PTE table of directory entry `e` is held
 * in a coalesced entry: its aligned group of 2^shift PTEs is present, maps as many
 * contiguous frames from a frame aligned as the group, with one set of permissions.
 */
ALWAYS_INLINE bool coalesces(const Stream *st, uint32_t e, uint32_t abs_page, uint32_t shift) {
  uint32_t table = e & PMD_INDEX_MASK;
  if (table == 0 || (e & PMD_MIGRATION) != 0) return false;
  uint32_t n = 1u << shift;
  const uint64_t *page = st->ptes + (size_t)(table - 1) * PTES_PER_PMD + (abs_page & (PTES_PER_PMD - 1));
  /* The page's own frame must sit in its group as the page does: most layouts fail here. */
  if ((((uint32_t)(*page >> 32) ^ abs_page) & (n - 1)) != 0) return false;
  const uint64_t *group = page - (abs_page & (n - 1));
  uint64_t same = 0xffffffff00000000ull | PTE_PRESENT | PTE_WRITE;
  uint64_t first = (group[0] & same & ~((uint64_t)(n - 1) << 32)) | PTE_PRESENT;
  uint64_t differ = 0;
  for (uint32_t i = 0; i < n; i++) differ |= (group[i] & same) ^ (first + ((uint64_t)i << 32));
  return differ == 0;
}

/* runLoop for the uniform pattern with loads only: one draw per access. */
ALWAYS_INLINE void run_loop(const Tlb *t, Stream *st, uint64_t count, Counts *out, int l1, bool l1_shared, int l2,
                            bool l2_shared, int pmd_cache, int upper) {
  Array *l1_4k = t->desc[L1_4K], *l1_2m = t->desc[L1_2M], *l2_4k = t->desc[L2_4K], *l2_2m = t->desc[L2_2M];
  Array *pwc_pmd = t->desc[PWC_PMD], *pwc_pud = t->desc[PWC_PUD], *pwc_pgd = t->desc[PWC_PGD];
  const uint32_t *dir = st->dir;
  uint32_t coalesce_shift = st->coalesce_shift;
  uint32_t base_page = st->base_page, pages = st->pages;
  uint32_t s0 = st->s[0], s1 = st->s[1], s2 = st->s[2], s3 = st->s[3];
  Counts c = {.accesses = count};
  for (uint64_t n = 0; n < count; n++) {
    /* xoshiro128**: the output, then the state update. */
    uint32_t x = s1 * 5;
    x = (x << 7 | x >> 25) * 9;
    uint32_t shifted = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= shifted;
    s3 = s3 << 11 | s3 >> 21;
    /* The draw scaled to [0, pages): the high word of a 64-bit product, no division. */
    uint32_t page = (uint32_t)(((uint64_t)x * pages) >> 32);

    uint32_t abs_page = base_page + page;
    uint32_t pmd = abs_page >> 9;
    uint32_t entry = dir[pmd];
    bool huge = (entry & PMD_HUGE) != 0;
    uint32_t tag = huge ? HUGE_TAG | pmd : abs_page;
    uint32_t key = huge ? pmd : abs_page;
    if (coalesce_shift != 0 && !huge && coalesces(st, entry, abs_page, coalesce_shift)) {
      key = abs_page >> coalesce_shift;
      tag = COALESCED_TAG | key;
    }
    if (touch(l1, l1_shared || !huge ? l1_4k : l1_2m, tag, key)) continue;
    if (huge) c.l1_misses_2m++;
    else c.l1_misses_4k++;
    if (touch(l2, l2_shared || !huge ? l2_4k : l2_2m, tag, key)) {
      c.l2_hits++;
      continue;
    }
    c.walks++;
    /* The walk starts below the deepest cached level; a 2 MiB walk ends at the PMD. */
    uint32_t pud = pmd >> 9;
    uint32_t refs;
    if (!huge && touch(pmd_cache, pwc_pmd, pmd, pmd)) refs = 1;
    else if (touch(upper, pwc_pud, pud, pud)) refs = huge ? 1 : 2;
    else if (touch(upper, pwc_pgd, pud >> 9, pud >> 9)) refs = huge ? 2 : 3;
    else refs = huge ? 3 : 4;
    c.walk_refs += refs;
  }
  st->s[0] = s0;
  st->s[1] = s1;
  st->s[2] = s2;
  st->s[3] = s3;
  *out = c;
}

/* tlbRun: the presets' shapes of TLB get loops of their own, any other shape the general one. */
static void run(const Tlb *t, Stream *st, uint64_t count, Counts *out) {
  int l1 = kind_of_pair(t, L1_4K, L1_2M);
  int l2 = kind_of_pair(t, L2_4K, L2_2M);
  int pmd = kind_of(t->desc[PWC_PMD]);
  int upper = kind_of_pair(t, PWC_PUD, PWC_PGD);
  bool l1_shared = one_array(t, L1_4K, L1_2M);
  if (l2 == ARRAY_NARROW && one_array(t, L2_4K, L2_2M) && upper == ARRAY_NARROW) {
    if (l1 == ARRAY_WIDE && l1_shared && pmd == ARRAY_WIDE) {
      run_loop(t, st, count, out, ARRAY_WIDE, true, ARRAY_NARROW, true, ARRAY_WIDE, ARRAY_NARROW);
      return;
    }
    if (l1 == ARRAY_NARROW && !l1_shared && pmd == ARRAY_NARROW) {
      run_loop(t, st, count, out, ARRAY_NARROW, false, ARRAY_NARROW, true, ARRAY_NARROW, ARRAY_NARROW);
      return;
    }
  }
  run_loop(t, st, count, out, ARRAY_ANY, false, ARRAY_ANY, false, ARRAY_ANY, ARRAY_ANY);
}

static uint64_t parse_u64(const char *arg, uint64_t max) {
  char *end;
  unsigned long long v = strtoull(arg, &end, 10);
  if (*arg < '0' || *arg > '9' || *end != '\0' || v > max) fail("expected a decimal integer in range", arg);
  return v;
}

/* An array argument: ENTRIES:WAYS, "none", or (where `shared` is given) "shared". */
static Array *parse_array(const char *arg, Array *shared) {
  static Array absent;
  if (strcmp(arg, "none") == 0) return &absent;
  if (shared != NULL && strcmp(arg, "shared") == 0) return shared;
  const char *colon = strchr(arg, ':');
  if (colon == NULL) fail("expected ENTRIES:WAYS or none", arg);
  char entries[16];
  size_t len = (size_t)(colon - arg);
  if (len >= sizeof entries) fail("expected ENTRIES:WAYS or none", arg);
  memcpy(entries, arg, len);
  entries[len] = '\0';
  return new_array((uint32_t)parse_u64(entries, 0xffff), (uint32_t)parse_u64(colon + 1, 0xffff), arg);
}

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The timed runs' counts are printed nowhere: storing them here keeps the compiler from dropping their work. */
static volatile uint64_t sink;

int main(int argc, char **argv) {
  if (argc != 19) {
    fprintf(stderr, "usage: tlb L1 L1HUGE L2 L2HUGE PWC_PMD PWC_PUD PWC_PGD COALESCE BASE_PAGE PAGES DIR PTES S0 S1 S2 S3 "
                    "WARM_UP TIMED\n");
    return 2;
  }
  Tlb t;
  t.desc[L1_4K] = parse_array(argv[1], NULL);
  t.desc[L1_2M] = parse_array(argv[2], t.desc[L1_4K]);
  t.desc[L2_4K] = parse_array(argv[3], NULL);
  t.desc[L2_2M] = parse_array(argv[4], t.desc[L2_4K]);
  t.desc[PWC_PMD] = parse_array(argv[5], NULL);
  t.desc[PWC_PUD] = parse_array(argv[6], NULL);
  t.desc[PWC_PGD] = parse_array(argv[7], NULL);

  Stream st;
  st.coalesce_shift = (uint32_t)parse_u64(argv[8], 4);
  /* Page numbers stay below 2^31, as AccessStream requires. */
  st.base_page = (uint32_t)parse_u64(argv[9], 0x7fffffff);
  st.pages = (uint32_t)parse_u64(argv[10], 0x80000000u - st.base_page);
  if (st.pages == 0) fail("the region must have at least one page", argv[10]);
  const char *dir_arg = argv[11];
  size_t entries = strlen(dir_arg);
  if (entries <= (st.base_page + st.pages - 1) >> 9) fail("the directory must cover every PMD of the region", dir_arg);
  uint32_t *dir = malloc(entries * 4);
  if (dir == NULL) fail("out of memory", "malloc");
  for (size_t i = 0; i < entries; i++) {
    if (dir_arg[i] != '0' && dir_arg[i] != '1') fail("the directory must be a string of 0 and 1", dir_arg);
    /* A 2 MiB entry is read for PMD.HUGE only; a PTE table's is its table's index, from 1. */
    dir[i] = dir_arg[i] == '1' ? PMD_HUGE : (uint32_t)i + 1;
  }
  st.dir = dir;
  uint64_t *ptes = alloc_aligned(64, entries * PTES_PER_PMD * 8);
  FILE *f = fopen(argv[12], "rb");
  if (f == NULL || fread(ptes, 8 * PTES_PER_PMD, entries, f) != entries) fail("cannot read 512 PTEs per directory entry", argv[12]);
  fclose(f);
  st.ptes = ptes;
  for (int i = 0; i < 4; i++) st.s[i] = (uint32_t)parse_u64(argv[13 + i], UINT32_MAX);
  uint64_t warm_up = parse_u64(argv[17], UINT64_MAX);
  uint64_t timed = parse_u64(argv[18], UINT64_MAX);

  Counts warm;
  run(&t, &st, warm_up, &warm);
  double best = 0;
  for (int i = 0; i < REPEATS; i++) {
    Counts c;
    double t0 = seconds();
    run(&t, &st, timed, &c);
    double rate = (double)timed / (seconds() - t0);
    sink += c.walks + c.walk_refs;
    if (rate > best) best = rate;
  }
  printf("{\"accesses\":%" PRIu64 ",\"l1Misses4k\":%" PRIu64 ",\"l1Misses2m\":%" PRIu64 ",\"l2Hits\":%" PRIu64
         ",\"walks\":%" PRIu64 ",\"walkRefs\":%" PRIu64 ",\"accessesPerS\":%.0f}\n",
         warm.accesses, warm.l1_misses_4k, warm.l1_misses_2m, warm.l2_hits, warm.walks, warm.walk_refs, best);
  return 0;
}
