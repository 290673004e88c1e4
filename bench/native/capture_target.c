/*
 * The process bench/capture.ts captures: 1 GiB of anonymous memory, written, half of it
 * MADV_HUGEPAGE (THPs where the machine gives them), half without a flag (small pages
 * where the machine's THP is "madvise", khugepaged's work in the model), a quarter of
 * those then MADV_FREEd. Prints "ready" and sleeps until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define GIB (1024UL * 1024UL * 1024UL)

int main(void) {
  char *p = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); return 1; }
  madvise(p, GIB / 2, MADV_HUGEPAGE);
  for (size_t i = 0; i < GIB; i += 4096) p[i] = 1;
  madvise(p + GIB / 2, GIB / 8, MADV_FREE);
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
