/**
 * A snapshot of real processes' memory, as `khugesim capture` reads it from /proc: each
 * process's VMAs as smaps describes them, and per page of each VMA that maps anything
 * what pagemap, kpageflags and page_idle say about it. Plain data; the file format is
 * in format.ts, the import into a simulated kernel in import.ts, the per-VMA report in host/report/snapshot_report.ts.
 */

/** Bits of a page's flag word (`SnapshotPages.flags`). Names follow pagemap and kpageflags. */
export const PAGE = {
  /** pagemap bit 63: the PTE maps a page. */
  PRESENT: 1 << 0,
  /** pagemap bit 62: the PTE is a swap entry. */
  SWAP: 1 << 1,
  /** pagemap bit 56: the page is mapped by this process only. */
  EXCLUSIVE: 1 << 2,
  /** pagemap bit 61: a file page or shared anonymous memory. */
  FILE: 1 << 3,
  /** kpageflags KPF_ZERO_PAGE: the shared zero page. */
  ZERO: 1 << 4,
  /** kpageflags KPF_ANON, KPF_SWAPBACKED, KPF_DIRTY, KPF_LRU, KPF_LOCKED, KPF_REFERENCED, KPF_SWAPCACHE. */
  ANON: 1 << 5,
  SWAPBACKED: 1 << 6,
  DIRTY: 1 << 7,
  LRU: 1 << 8,
  LOCKED: 1 << 9,
  REFERENCED: 1 << 10,
  SWAPCACHE: 1 << 11,
  /** page_idle: the page was accessed during --idle-wait (meaningful when `sources.pageIdle`). */
  YOUNG: 1 << 12,
  /** kpageflags KPF_COMPOUND_HEAD: the first page of a large folio. */
  HEAD: 1 << 13,
  /**
   * The page belongs to a PMD-sized folio that maps a whole 2 MiB-aligned range with
   * contiguous pfns: mapped by the PMD, as thpmaps also takes it.
   */
  PMD_MAPPED: 1 << 14,
  /** The page's large folio is naturally aligned, virtually and physically. */
  ALIGNED: 1 << 15,
} as const;

/** What the capture could read; a source it could not is listed in `Snapshot.missing` with the reason. */
export interface SnapshotSources {
  /** /proc/PID/pagemap: present, swapped, exclusive. */
  pagemap: boolean;
  /** pfns in pagemap (CAP_SYS_ADMIN): without them no kpageflags can be read. */
  pfns: boolean;
  /** /proc/kpageflags: folio state, compound pages, the zero page. */
  kpageflags: boolean;
  /** /sys/kernel/mm/page_idle/bitmap after --idle-wait: which pages were accessed. */
  pageIdle: boolean;
}

/** Per page of a VMA, in address order: the flag word (PAGE) and the order of its folio. */
export interface SnapshotPages {
  flags: Uint16Array;
  order: Uint8Array;
}

/** One VMA as /proc/PID/smaps shows it. */
export interface SnapshotVma {
  start: number;
  end: number;
  /** "rw-p" */
  perms: string;
  offset: number;
  dev: string;
  inode: number;
  /** The mapped file or "[heap]", "[stack]", "[anon:name]"; "" for anonymous memory. */
  path: string;
  /** The VmFlags mnemonics ("rd", "wr", "mr", "hg", "nh", …). */
  vmFlags: string[];
  /** smaps' numeric fields, kB ones in kB (Rss, AnonHugePages, LazyFree, Swap, …), THPeligible as 0 or 1. */
  smaps: Record<string, number>;
  /** Per-page state; absent when the VMA maps nothing (Rss and Swap 0) or pagemap could not be read. */
  pages?: SnapshotPages;
}

export interface SnapshotProcess {
  pid: number;
  /** /proc/PID/comm */
  comm: string;
  /** /proc/PID/status `THP_enabled: 0`: prctl(PR_SET_THP_DISABLE) turned THPs off for the process. */
  thpDisabled: boolean;
  vmas: SnapshotVma[];
}

export interface Snapshot {
  /** The captured kernel: "Linux " and `uname -r`. */
  kernel: string;
  /** ISO 8601 time the capture started. */
  capturedAt: string;
  /** Seconds between marking pages idle and reading them back (0: page_idle not used). */
  idleWaitS: number;
  sources: SnapshotSources;
  /** The captured machine's THP settings, by path under /sys/kernel/mm/transparent_hugepage/. */
  thp: Record<string, string>;
  /** What could not be read and why, one sentence each. */
  missing: string[];
  processes: SnapshotProcess[];
}

/** Whether a VMA is private anonymous memory: what the model's khugepaged collapses. */
export function isAnonPrivate(v: SnapshotVma): boolean {
  if (v.perms[3] !== "p" || v.inode !== 0) return false;
  return v.path === "" || v.path === "[heap]" || v.path === "[stack]" || v.path.startsWith("[anon:");
}
