/*
 * khugepaged's CPU time per collapse on this machine's real kernel, read-only: no sysfs
 * write, no tracing. Maps MIB MiB of 4 KiB pages (THP "enabled" must be madvise, so the
 * writes fault in small pages), hands them to khugepaged with MADV_HUGEPAGE, then polls
 * every millisecond khugepaged's se.sum_exec_runtime (/proc/PID/sched), the global
 * pages_collapsed and its own AnonHugePages, and prints one line per khugepaged pass:
 * wake-up time after the madvise, CPU ms of the pass, PMDs collapsed in it.
 *
 *   cc -O2 -o /tmp/khugepaged_cpu bench/native/khugepaged_cpu.c
 *   /tmp/khugepaged_cpu KHUGEPAGED_PID [MIB]
 *
 * Other mms registered with khugepaged add their scans to the CPU time; on an idle
 * machine there are few.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PMD (2UL << 20)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* se.sum_exec_runtime in ms, or -1. */
static double sum_exec_ms(const char *path) {
  FILE *f = fopen(path, "r");
  char line[256];
  double v = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "se.sum_exec_runtime", 19) == 0) v = atof(strchr(line, ':') + 1);
  fclose(f);
  return v;
}

static long read_long(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  char line[256];
  long v = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (key == NULL) { v = atol(line); break; }
    if (strncmp(line, key, strlen(key)) == 0) { v = atol(line + strlen(key)); break; }
  }
  fclose(f);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s KHUGEPAGED_PID [MIB]\n", argv[0]);
    return 2;
  }
  char sched[64];
  snprintf(sched, sizeof sched, "/proc/%s/sched", argv[1]);
  unsigned long mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
  unsigned long len = mib << 20;
  const char *collapsed = "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_collapsed";
  char *raw = mmap(NULL, len + PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) { perror("mmap"); return 1; }
  char *buf = (char *)(((unsigned long)raw + PMD - 1) & ~(PMD - 1));
  memset(buf, 1, len);
  double cpu0 = sum_exec_ms(sched), t0 = now_s();
  long col0 = read_long(collapsed, NULL);
  if (madvise(buf, len, MADV_HUGEPAGE)) { perror("madvise"); return 1; }
  printf("pass  wake_s    cpu_ms  collapsed  anon_huge_kb\n");
  double cpu = cpu0, pass_start = -1, last_change = 0;
  long col = col0, pass_col = col0;
  int pass = 0;
  for (;;) {
    usleep(1000);
    double c = sum_exec_ms(sched), t = now_s() - t0;
    long k = read_long(collapsed, NULL);
    if (c > cpu) {
      if (pass_start < 0) pass_start = t;
      last_change = t;
      cpu = c;
      col = k;
    } else if (pass_start >= 0 && t - last_change > 0.05) {
      /* 50 ms without khugepaged running: the pass is over. */
      long huge = read_long("/proc/self/smaps_rollup", "AnonHugePages:");
      printf("%4d  %7.3f  %8.3f  %9ld  %12ld\n", ++pass, pass_start, cpu - cpu0, col - pass_col, huge);
      fflush(stdout);
      cpu0 = cpu;
      pass_col = col;
      pass_start = -1;
      if (huge >= (long)(len >> 10)) break;
    }
    if (t > 600) break;
  }
  munmap(raw, len + PMD);
  return 0;
}
