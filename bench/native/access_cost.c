/*
 * TSC ticks per access on this machine, for calibrating the cost model
 * (host/tlb/cost_parts.ts): one 128 MiB buffer, 2 MiB-aligned, faulted in as THPs
 * (MADV_HUGEPAGE) or as 4 KiB pages (MADV_NOHUGEPAGE), then one of two loops timed
 * with rdtsc around the accesses only:
 *   random  the seed's phase B (spec/seed-experiment.md): rounds of 32,768 offsets
 *           drawn with rand(), uniform over the 32,768 4 KiB pages, one 64-byte-aligned
 *           byte in each; then the 32,768 one-byte loads
 *   stride  one read-modify-write of a byte per 4 KiB page, in page order, per round
 *
 * Usage: access_cost random|stride thp|4k ROUNDS
 * Prints one JSON line: the pattern, the page size asked for, the accesses timed, the
 * ticks per access and the KiB of the buffer that smaps reports as AnonHugePages.
 *
 * Build: cc -std=c11 -O2 -o access_cost access_cost.c
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

#define BUFFER_BYTES (128ul << 20)
#define HUGE_BYTES (2ul << 20)
#define PAGE_BYTES 4096ul
#define PAGES (BUFFER_BYTES / PAGE_BYTES)

/* rdtsc ordered after every earlier instruction (lfence), as a timed region's edge. */
static inline uint64_t ticks(void) {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
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

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "random") && strcmp(argv[1], "stride")) ||
      (strcmp(argv[2], "thp") && strcmp(argv[2], "4k")) || atol(argv[3]) <= 0) {
    fprintf(stderr, "usage: access_cost random|stride thp|4k ROUNDS\n");
    return 2;
  }
  const int random = strcmp(argv[1], "random") == 0;
  const int thp = strcmp(argv[2], "thp") == 0;
  const long rounds = atol(argv[3]);

  char *raw = mmap(NULL, BUFFER_BYTES + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  char *buf = (char *)(((uintptr_t)raw + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
  /* Trim the slack so the buffer is a VMA of its own, as smaps reports it. */
  if (buf > raw) munmap(raw, buf - raw);
  munmap(buf + BUFFER_BYTES, raw + HUGE_BYTES - buf);
  if (madvise(buf, BUFFER_BYTES, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) {
    perror("madvise");
    return 1;
  }
  for (unsigned long i = 0; i < BUFFER_BYTES; i += PAGE_BYTES) buf[i] = (char)i;

  static uint32_t offsets[PAGES];
  uint64_t total = 0;
  unsigned long sink = 0;
  srand(1);
  for (long r = 0; r < rounds; r++) {
    if (random) {
      for (unsigned long i = 0; i < PAGES; i++) {
        offsets[i] = (uint32_t)((rand() % PAGES) * PAGE_BYTES + (rand() % (PAGE_BYTES / 64)) * 64);
      }
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < PAGES; i++) sink += *(volatile char *)(buf + offsets[i]);
      total += ticks() - t0;
    } else {
      uint64_t t0 = ticks();
      for (unsigned long i = 0; i < BUFFER_BYTES; i += PAGE_BYTES) ((volatile char *)buf)[i]++;
      total += ticks() - t0;
    }
  }
  const double accesses = (double)rounds * PAGES;
  printf("{\"pattern\":\"%s\",\"pages\":\"%s\",\"accesses\":%.0f,\"ticksPerAccess\":%.4f,\"anonHugeKiB\":%ld,"
         "\"sink\":%lu}\n",
         argv[1], argv[2], accesses, (double)total / accesses, huge_kib(buf), sink & 1);
  return 0;
}
