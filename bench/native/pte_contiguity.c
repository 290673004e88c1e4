/*
 * How many naturally aligned groups of four 4 KiB pages a real kernel maps to four
 * contiguous frames from a 16 KiB-aligned one (what AMD Zen coalesces into one TLB
 * entry, host/tlb/presets.ts), for a region faulted in page order as the seed's
 * MAP_POPULATE does: 128 MiB, MADV_NOHUGEPAGE, one write per page, then its frames from
 * /proc/self/pagemap (root needed: without it the frames read as 0). In a guest the
 * frames are guest-physical.
 *
 * Build and run: cc -O2 -o pte_contiguity pte_contiguity.c && sudo ./pte_contiguity
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  const size_t len = 128ul << 20, pages = len >> 12;
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED || madvise(p, len, MADV_NOHUGEPAGE) != 0) return perror("mmap"), 1;
  for (size_t i = 0; i < len; i += 4096) p[i] = 1;
  uint64_t *pm = malloc(pages * 8);
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (pm == NULL || fd < 0 || pread(fd, pm, pages * 8, (off_t)((uintptr_t)p >> 12) * 8) != (ssize_t)(pages * 8)) {
    return perror("pagemap"), 1;
  }
  const uint64_t pfn_mask = (1ull << 55) - 1;
  size_t groups = 0, coalescible = 0, first = (4 - (((uintptr_t)p >> 12) & 3)) & 3;
  for (size_t i = first; i + 4 <= pages; i += 4, groups++) {
    uint64_t f = pm[i] & pfn_mask;
    int ok = f != 0 && (f & 3) == 0;
    for (int k = 1; k < 4; k++) ok &= (pm[i + k] & pfn_mask) == f + k;
    coalescible += ok;
  }
  printf("{\"groups\":%zu,\"coalescible\":%zu,\"percent\":%.1f}\n", groups, coalescible, 100.0 * coalescible / groups);
  return 0;
}
