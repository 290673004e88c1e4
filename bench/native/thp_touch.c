/*
 * A small workload whose khugepaged trace checks against the scenario
 * bench/native/thp_touch.yaml (docs/check-trace.md): one 8 MiB region, 2 MiB aligned,
 * populated with 4 KiB pages while THP is "madvise", each of its four PMDs left in a
 * state khugepaged decides differently, then MADV_HUGEPAGE, which registers the mm.
 *
 *   PMD 0  every page written                  -> succeeded, then page_pmd_mapped
 *   PMD 1  its first 256 pages written          -> succeeded with none_or_zero=256
 *   PMD 2  written, then MADV_DONTNEED          -> the PTE table is freed: pmd_none
 *   PMD 3  written, then MADV_COLD              -> old PTEs: lack_referenced_page
 *
 * Usage: thp_touch SECONDS (how long to stay alive after MADV_HUGEPAGE).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

#define PMD (2UL << 20)
#define PMDS 4

static void advise(char *p, size_t len, int advice, const char *name) {
  if (madvise(p, len, advice) != 0) {
    perror(name);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 2 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
    return 2;
  }
  /* One PMD more than needed, so that a 2 MiB-aligned start lies inside. */
  char *raw = mmap(NULL, (PMDS + 1) * PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  char *p = (char *)(((uintptr_t)raw + PMD - 1) & ~(PMD - 1));
  /* Keep the region its own VMA: MADV_HUGEPAGE on the aligned part only splits it off. */
  memset(p, 1, PMD);
  memset(p + PMD, 1, 256 * 4096);
  memset(p + 2 * PMD, 1, PMD);
  memset(p + 3 * PMD, 1, PMD);
  advise(p + 2 * PMD, PMD, MADV_DONTNEED, "MADV_DONTNEED");
  advise(p + 3 * PMD, PMD, MADV_COLD, "MADV_COLD");
  advise(p, PMDS * PMD, MADV_HUGEPAGE, "MADV_HUGEPAGE");
  fprintf(stderr, "thp_touch: pid %d, region %p\n", getpid(), (void *)p);
  sleep(atoi(argv[1]));
  return 0;
}
