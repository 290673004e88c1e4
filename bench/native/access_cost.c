/*
 * TSC ticks per access on this machine, for calibrating the cost model
 * (host/tlb/cost_parts.ts): one buffer (128 MiB unless MIB is given), aligned to its page
 * size, faulted in as THPs (MADV_HUGEPAGE), as 4 KiB pages (MADV_NOHUGEPAGE) or as 1 GiB
 * hugetlbfs pages (1g: needs free pages in /sys/kernel/mm/hugepages/hugepages-1048576kB),
 * then one of three loops timed with rdtsc around the accesses only:
 *   random  the seed's phase B (spec/seed-experiment.md): rounds of one offset per 4 KiB
 *           page of the buffer, drawn with rand(), uniform over its pages, one
 *           64-byte-aligned byte in each; then those one-byte loads
 *   stride  one read-modify-write of a byte per 4 KiB page, in page order, per round
 *   spread  the same at line k mod 64 of the k-th page instead of its first line, so that the
 *           lines spread over every set of the caches (a page-aligned line's set index
 *           bits 6-11 are 0: stride's lines find 1/64 of the L1's and L2's sets)
 *   chase   dependent loads: each load reads the address of the next, one line in every
 *           4 KiB page (line k of the k-th page mod 64, so the lines spread evenly over
 *           the L1's sets) in a random cycle, so nothing overlaps and a load pays the
 *           whole latency of its data and of its page walk
 *   latency dependent loads over every line of the buffer, page after page in random
 *           order and the 64 lines of each page in random order: past the last-level
 *           cache, the latency of DRAM with one page walk per 64 loads
 *
 * Usage: access_cost random|stride|spread|chase|latency thp|4k|1g ROUNDS [SIZE]
 * SIZE is MiB (even, 128 by default), or KiB with a k suffix ("32k": a buffer inside the L1,
 * for the levels' latencies and the TLB's reach; a multiple of 4).
 * Prints one JSON line: the pattern, the pages asked for, the buffer's MiB, the accesses
 * timed, the ticks per access over all rounds and in the median round (a round that another
 * process preempted or disturbed takes longer; the median round is the run undisturbed,
 * as long as fewer than half are), the TSC rate (ticks over CLOCK_MONOTONIC around the
 * timed rounds) and the KiB of the buffer that smaps reports as AnonHugePages.
 *
 * Build: cc -std=c11 -O2 -o access_cost access_cost.c
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif

#define HUGE_BYTES (2ul << 20)
#define GIANT_BYTES (1ul << 30)
#define PAGE_BYTES 4096ul
#define LINES (PAGE_BYTES / 64)
#define MIN_STEPS 32768ul

static int by_value(const void *a, const void *b) {
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* rdtsc ordered after every earlier instruction (lfence), as a timed region's edge. */
static inline uint64_t ticks(void) {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* KiB of AnonHugePages in the smaps entry of the mapping that starts at `start`. */
static long huge_kib(const char *start) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (f == NULL) return -1;
  char line[256];
  int inside = 0;
  long kib = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
      inside = (char *)lo <= start && start < (char *)hi;
    } else if (inside && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) {
      break;
    }
  }
  fclose(f);
  return kib;
}

/* The buffer: `bytes` of 1 GiB hugetlbfs pages, or anonymous memory 2 MiB-aligned with THP advice. */
static char *map_buffer(unsigned long bytes, const char *pages) {
  if (strcmp(pages, "1g") == 0) {
    unsigned long giant = (bytes + GIANT_BYTES - 1) & ~(GIANT_BYTES - 1);
    char *buf = mmap(NULL, giant, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
    return buf == MAP_FAILED ? NULL : buf;
  }
  char *raw = mmap(NULL, bytes + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  char *buf = (char *)(((uintptr_t)raw + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
  /* Trim the slack so the buffer is a VMA of its own, as smaps reports it. */
  if (buf > raw) munmap(raw, buf - raw);
  munmap(buf + bytes, raw + HUGE_BYTES - buf);
  if (madvise(buf, bytes, strcmp(pages, "thp") == 0 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) return NULL;
  return buf;
}

/* A random permutation of 0..n-1, or NULL. */
static uint32_t *shuffled(unsigned long n) {
  uint32_t *order = malloc(n * sizeof *order);
  if (order == NULL) return NULL;
  for (unsigned long i = 0; i < n; i++) order[i] = (uint32_t)i;
  for (unsigned long i = n - 1; i > 0; i--) {
    unsigned long j = (unsigned long)rand() % (i + 1);
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/* Link `n` lines into one cycle in the order of `node`; returns its first line. */
static char *link_nodes(char **node, unsigned long n) {
  for (unsigned long i = 0; i < n; i++) *(char **)node[i] = node[(i + 1) % n];
  return node[0];
}

/* The chase's cycle: line k of page k (mod 64) of every page, pages in random order. */
static char *link_pages(char *buf, unsigned long pages) {
  uint32_t *order = shuffled(pages);
  char **node = malloc(pages * sizeof *node);
  if (order == NULL || node == NULL) return NULL;
  for (unsigned long i = 0; i < pages; i++) node[i] = buf + order[i] * PAGE_BYTES + (order[i] % LINES) * 64;
  char *first = link_nodes(node, pages);
  free(node);
  free(order);
  return first;
}

/* The latency cycle: every line, pages in random order, a page's lines in a random order rotated by the page. */
static char *link_lines(char *buf, unsigned long pages) {
  uint32_t *order = shuffled(pages);
  uint32_t *lines = shuffled(LINES);
  char **node = malloc(pages * LINES * sizeof *node);
  if (order == NULL || lines == NULL || node == NULL) return NULL;
  for (unsigned long i = 0; i < pages; i++) {
    for (unsigned long l = 0; l < LINES; l++) node[i * LINES + l] = buf + order[i] * PAGE_BYTES + lines[(l + i) % LINES] * 64;
  }
  char *first = link_nodes(node, pages * LINES);
  free(node);
  free(lines);
  free(order);
  return first;
}

int main(int argc, char **argv) {
  const int patterns_ok = argc >= 4 && (!strcmp(argv[1], "random") || !strcmp(argv[1], "stride") ||
                                          !strcmp(argv[1], "spread") || !strcmp(argv[1], "chase") ||
                                          !strcmp(argv[1], "latency"));
  const int pages_ok = argc >= 4 && (!strcmp(argv[2], "thp") || !strcmp(argv[2], "4k") || !strcmp(argv[2], "1g"));
  const char *size = argc == 5 ? argv[4] : "128";
  const int in_kib = size[0] != '\0' && size[strlen(size) - 1] == 'k';
  const long kib = atol(size) * (in_kib ? 1 : 1024);
  if (argc < 4 || argc > 5 || !patterns_ok || !pages_ok || atol(argv[3]) <= 0 || kib <= 0 || kib % (in_kib ? 4 : 2048)) {
    fprintf(stderr, "usage: access_cost random|stride|spread|chase|latency thp|4k|1g ROUNDS [MIB, even | KIB k, a multiple of 4]\n");
    return 2;
  }
  const char *pattern = argv[1];
  const long rounds = atol(argv[3]);
  const unsigned long bytes = (unsigned long)kib << 10;
  const unsigned long pages = bytes / PAGE_BYTES;

  char *buf = map_buffer(bytes, argv[2]);
  if (buf == NULL) {
    perror("mmap/madvise");
    return 1;
  }
  for (unsigned long i = 0; i < bytes; i += PAGE_BYTES) buf[i] = (char)i;

  /* A round of a small buffer goes over it several times, so that the rdtsc pair around it
   * weighs as little as around a round of 128 MiB's 32,768 pages. */
  const unsigned long cycle = strcmp(pattern, "latency") == 0 ? pages * LINES : pages;
  const unsigned long steps = cycle >= MIN_STEPS ? cycle : (MIN_STEPS + cycle - 1) / cycle * cycle;
  uint32_t *offsets = malloc(steps * sizeof *offsets);
  uint64_t *round_ticks = malloc(rounds * sizeof *round_ticks);
  srand(1);
  const int dependent = strcmp(pattern, "chase") == 0 || strcmp(pattern, "latency") == 0;
  char *chase = !dependent ? NULL : strcmp(pattern, "chase") == 0 ? link_pages(buf, pages) : link_lines(buf, pages);
  if (offsets == NULL || round_ticks == NULL || (dependent && chase == NULL)) {
    perror("malloc");
    return 1;
  }
  uint64_t total = 0;
  unsigned long sink = 0;
  const double s0 = now_seconds();
  const uint64_t t00 = ticks();
  for (long r = 0; r < rounds; r++) {
    const uint64_t before = total;
    if (strcmp(pattern, "random") == 0) {
      for (unsigned long i = 0; i < steps; i++) {
        offsets[i] = (uint32_t)((rand() % pages) * PAGE_BYTES + (rand() % LINES) * 64);
      }
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < steps; i++) sink += *(volatile char *)(buf + offsets[i]);
      total += ticks() - t0;
    } else if (strcmp(pattern, "stride") == 0) {
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < steps; i++) ((volatile char *)buf)[i % pages * PAGE_BYTES]++;
      total += ticks() - t0;
    } else if (strcmp(pattern, "spread") == 0) {
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < steps; i++) ((volatile char *)buf)[i % pages * PAGE_BYTES + i % pages % LINES * 64]++;
      total += ticks() - t0;
    } else {
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < steps; i++) chase = *(char *volatile *)chase;
      total += ticks() - t0;
    }
    round_ticks[r] = total - before;
  }
  qsort(round_ticks, rounds, sizeof *round_ticks, by_value);
  const double tsc_hz = (double)(ticks() - t00) / (now_seconds() - s0);
  const double accesses = (double)rounds * steps;
  printf("{\"pattern\":\"%s\",\"pages\":\"%s\",\"mib\":%g,\"accesses\":%.0f,\"ticksPerAccess\":%.4f,"
         "\"medianRoundTicksPerAccess\":%.4f,\"tscHz\":%.0f,\"anonHugeKiB\":%ld,\"sink\":%lu}\n",
         pattern, argv[2], kib / 1024.0, accesses, (double)total / accesses, (double)round_ticks[rounds / 2] / steps, tsc_hz, huge_kib(buf),
         (sink + (uintptr_t)chase) & 1);
  return 0;
}
