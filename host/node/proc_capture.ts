/**
 * `khugesim capture`'s reading of /proc: for each process its comm, THP state, smaps and
 * pagemap, then kpageflags by pfn and (with an idle wait) the page_idle bitmap, into a
 * Snapshot. What cannot be read (pfns and kpageflags need CAP_SYS_ADMIN; page_idle needs
 * CONFIG_IDLE_PAGE_TRACKING) is named in `missing`, and the rest is captured.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { release } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseSmaps } from "../snapshot/smaps_text.ts";
import { PAGE, type Snapshot, type SnapshotProcess, type SnapshotSources, type SnapshotVma } from "../snapshot/snapshot.ts";
import { idleWords, markIdle, PAGE_IDLE_BITMAP, readIdle, wasAccessed } from "./page_idle.ts";
import { addKpageflags, KpageflagsCache, type PagemapPages, ProcReadError, readPagemap } from "./proc_pages.ts";

/** Bad input to capture (a pid that does not exist or exits, an empty cgroup): one line, exit 2. */
export class CaptureError extends Error {}

/** The THP settings of the captured machine, by path under /sys/kernel/mm/transparent_hugepage/. */
const THP_FILES = [
  "enabled", "defrag", "khugepaged/pages_to_scan", "khugepaged/scan_sleep_millisecs", "khugepaged/max_ptes_none",
  "khugepaged/max_ptes_swap", "khugepaged/max_ptes_shared",
];

/** User space ends at 2^47 on x86-64 (4-level paging): [vsyscall] lies above and has no pagemap entries. */
const TASK_SIZE = 2 ** 47;

export interface CaptureOptions {
  /** Seconds between marking pages idle and reading them back; 0: no idle tracking. */
  idleWaitS?: number;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") throw new CaptureError(`Cannot capture pid ${pid}: no such process (or it exited)`);
    throw new CaptureError(`Cannot capture pid ${pid}: cannot read /proc/${pid}/${file} (${code})`);
  }
}

/** The pids of cgroup `path` (absolute, or relative to /sys/fs/cgroup), from its cgroup.procs. */
export function cgroupPids(path: string): number[] {
  const dir = isAbsolute(path) ? path : join("/sys/fs/cgroup", path);
  let text: string;
  try {
    text = readFileSync(join(dir, "cgroup.procs"), "utf8");
  } catch (err) {
    throw new CaptureError(`--cgroup "${path}": cannot read ${join(dir, "cgroup.procs")} (${(err as NodeJS.ErrnoException).code})`);
  }
  const pids = text.split("\n").filter((l) => l !== "").map(Number);
  if (pids.length === 0) throw new CaptureError(`--cgroup "${path}": the cgroup has no processes`);
  return pids;
}

/**
 * Whether the VMA has pagemap entries worth reading: it lies in user space and maps pages
 * (not raw pfns or I/O memory). smaps' Rss leaves the zero page out, so it cannot tell.
 */
function hasPages(v: SnapshotVma): boolean {
  return v.end <= TASK_SIZE && !v.vmFlags.includes("pf") && !v.vmFlags.includes("io");
}

/** Open a /proc or /sys file for reading, or return the errno. */
function tryOpen(path: string): number | string {
  try {
    return openSync(path, "r");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? "EIO";
  }
}

interface ProcessPages {
  process: SnapshotProcess;
  /** Pagemap per VMA with pages (by index into process.vmas). */
  pages: Map<number, PagemapPages>;
  pagemap: boolean;
}

function readProcess(pid: number, missing: Set<string>): ProcessPages {
  const comm = readProc(pid, "comm").trim();
  const thpDisabled = /^THP_enabled:\s*0$/m.test(readProc(pid, "status"));
  const vmas = parseSmaps(readProc(pid, "smaps"));
  const process: SnapshotProcess = { pid, comm, thpDisabled, vmas };
  const pages = new Map<number, PagemapPages>();
  const fd = tryOpen(`/proc/${pid}/pagemap`);
  if (typeof fd === "string") {
    if (fd === "ENOENT") throw new CaptureError(`Cannot capture pid ${pid}: it exited during the capture`);
    // No mm: a task that has exited (a zombie until its parent reaps it) or a kernel thread.
    if (fd === "ESRCH") {
      const exited = /^State:\s*Z/m.test(readProc(pid, "status"));
      const why = exited ? "it exited during the capture" : "it has no memory map (a kernel thread)";
      throw new CaptureError(`Cannot capture pid ${pid}: ${why}`);
    }
    missing.add(`/proc/${pid}/pagemap cannot be opened (${fd}): no per-page state, VMAs from smaps only`);
    return { process, pages, pagemap: false };
  }
  try {
    vmas.forEach((v, i) => {
      if (!hasPages(v)) return;
      // A VMA that maps nothing (reserved address space) keeps no pages: the file stays small.
      const pm = readPagemap(fd, v.start, v.end);
      if (pm.flags.some((f) => f !== 0)) pages.set(i, pm);
    });
  } catch (err) {
    if (err instanceof ProcReadError) throw new CaptureError(`Cannot capture pid ${pid}: it exited during the capture (${err.message})`);
    throw err;
  } finally {
    closeSync(fd);
  }
  return { process, pages, pagemap: true };
}

function readThpSettings(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of THP_FILES) {
    try {
      out[f] = readFileSync(`/sys/kernel/mm/transparent_hugepage/${f}`, "utf8").trim();
    } catch { /* a kernel without THP: the settings stay out */ }
  }
  return out;
}

/**
 * Capture `pids` into a Snapshot. Reads smaps and pagemap of every process first, marks
 * the pages idle and waits (idleWaitS > 0), then reads kpageflags and page_idle.
 */
export async function captureProcesses(pids: number[], options: CaptureOptions = {}): Promise<Snapshot> {
  const idleWaitS = options.idleWaitS ?? 0;
  const capturedAt = new Date().toISOString();
  const missing = new Set<string>();
  const read = pids.map((pid) => readProcess(pid, missing));
  const all = read.flatMap((r) => [...r.pages.values()]);
  const present = all.reduce((n, p) => n + p.pfns.reduce((m, x) => m + (x === x ? 1 : 0), 0), 0);
  const withPfn = all.reduce((n, p) => n + p.pfns.reduce((m, x) => m + (x > 0 ? 1 : 0), 0), 0);
  const sources: SnapshotSources = { pagemap: read.every((r) => r.pagemap), pfns: present > 0 && withPfn > 0, kpageflags: false, pageIdle: false };
  if (present > 0 && withPfn === 0) {
    missing.add("pagemap shows no pfns (reading them needs CAP_SYS_ADMIN): no kpageflags, folio orders, THPs or page_idle");
  }

  let idle: Map<number, bigint> | undefined;
  if (idleWaitS > 0) {
    if (!sources.pfns) missing.add("--idle-wait needs pfns: page_idle was not used");
    else {
      const words = idleWords(all.map((p) => p.pfns));
      try {
        markIdle(words);
        await sleep(idleWaitS * 1000);
        idle = readIdle(words);
        sources.pageIdle = true;
      } catch (err) {
        missing.add(`${PAGE_IDLE_BITMAP} cannot be used (${(err as NodeJS.ErrnoException).code}; ` +
          "the kernel needs CONFIG_IDLE_PAGE_TRACKING): young bits unknown, taken as set");
      }
    }
  }

  const kfd = sources.pfns ? tryOpen("/proc/kpageflags") : "no pfns";
  if (typeof kfd === "string" && sources.pfns) missing.add(`/proc/kpageflags cannot be opened (${kfd}): folio state and orders unknown`);
  const kpf = typeof kfd === "number" ? new KpageflagsCache(kfd) : undefined;
  sources.kpageflags = kpf !== undefined;
  try {
    for (const { process, pages } of read) {
      for (const [i, pm] of pages) {
        const v = process.vmas[i];
        const order = new Uint8Array(pm.flags.length);
        if (kpf) addKpageflags(kpf, v.start, pm, order);
        if (idle) pm.pfns.forEach((p, j) => { if (p === p && wasAccessed(idle!, p)) pm.flags[j] |= PAGE.YOUNG; });
        v.pages = { flags: pm.flags, order };
      }
    }
  } finally {
    if (typeof kfd === "number") closeSync(kfd);
  }
  return {
    kernel: `Linux ${release()}`, capturedAt, idleWaitS: sources.pageIdle ? idleWaitS : 0, sources, missing: [...missing],
    thp: readThpSettings(), processes: read.map((r) => r.process),
  };
}
