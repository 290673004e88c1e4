/**
 * Per-page state of one VMA from /proc: pagemap (present, swapped, exclusive, pfn), then
 * /proc/kpageflags by pfn (folio flags, compound head and tail, the zero page) and the
 * page_idle bitmap. Both are read in large chunks: pagemap 64 Ki entries at a time,
 * kpageflags as runs of whole 512-pfn windows (a window holds any folio up to PMD size,
 * so a folio's order is read off its window).
 */
import { readSync } from "node:fs";
import { PAGE } from "../snapshot/snapshot.ts";

/** pagemap's high word (bits 32–63 of an entry): bit 63 present, 62 swapped, 61 file or shared anon, 56 exclusive. */
const PM_PRESENT = 1 << 31, PM_SWAP = 1 << 30, PM_FILE = 1 << 29, PM_EXCLUSIVE = 1 << 24;
/** Bits 32–54 of a present entry's pfn. */
const PM_PFN_HI = 0x7fffff;

/** kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
export const KPF = {
  LOCKED: 0, REFERENCED: 2, DIRTY: 4, LRU: 5, ANON: 12, SWAPCACHE: 13, SWAPBACKED: 14,
  COMPOUND_HEAD: 15, COMPOUND_TAIL: 16, ZERO_PAGE: 24,
} as const;

const KPF_TO_PAGE: ReadonlyArray<readonly [number, number]> = [
  [KPF.LOCKED, PAGE.LOCKED], [KPF.REFERENCED, PAGE.REFERENCED], [KPF.DIRTY, PAGE.DIRTY], [KPF.LRU, PAGE.LRU],
  [KPF.ANON, PAGE.ANON], [KPF.SWAPCACHE, PAGE.SWAPCACHE], [KPF.SWAPBACKED, PAGE.SWAPBACKED],
  [KPF.ZERO_PAGE, PAGE.ZERO], [KPF.COMPOUND_HEAD, PAGE.HEAD],
];

const PAGEMAP_CHUNK = 65536;
const WINDOW = 512;
/** Windows read in one kpageflags read at most (1 MiB). */
const MAX_RUN = 256;

/** A read of a /proc file that came up short or failed: the process exited, or access is denied. */
export class ProcReadError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "ProcReadError";
  }
}

/** Read exactly `length` bytes at `position`, or throw ProcReadError. */
function readFully(fd: number, buf: Uint8Array, length: number, position: number, what: string): void {
  let at = 0;
  while (at < length) {
    let n: number;
    try {
      n = readSync(fd, buf, at, length - at, position + at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "EIO";
      throw new ProcReadError(code, `cannot read ${what}: ${code}`);
    }
    if (n === 0) throw new ProcReadError("EOF", `${what} ended early`);
    at += n;
  }
}

/** A VMA's pages after pagemap: PAGE flags, and the pfn of each present page (NaN otherwise). */
export interface PagemapPages {
  flags: Uint16Array;
  pfns: Float64Array;
}

/** Read the pagemap entries of [start, end) from the open /proc/PID/pagemap `fd`. */
export function readPagemap(fd: number, start: number, end: number): PagemapPages {
  const n = (end - start) / 4096;
  const flags = new Uint16Array(n), pfns = new Float64Array(n).fill(NaN);
  const buf = new Uint8Array(Math.min(n, PAGEMAP_CHUNK) * 8);
  const u32 = new Uint32Array(buf.buffer);
  for (let first = 0; first < n; first += PAGEMAP_CHUNK) {
    const count = Math.min(PAGEMAP_CHUNK, n - first);
    readFully(fd, buf, count * 8, (start / 4096 + first) * 8, "pagemap");
    for (let i = 0; i < count; i++) {
      const lo = u32[2 * i], hi = u32[2 * i + 1];
      let f = 0;
      if (hi & PM_PRESENT) {
        f |= PAGE.PRESENT;
        pfns[first + i] = lo + (hi & PM_PFN_HI) * 2 ** 32;
      } else if (hi & PM_SWAP) f |= PAGE.SWAP;
      if (hi & PM_EXCLUSIVE) f |= PAGE.EXCLUSIVE;
      if (hi & PM_FILE) f |= PAGE.FILE;
      flags[first + i] = f;
    }
  }
  return { flags, pfns };
}

/** kpageflags by 512-pfn window, read on demand in runs of consecutive windows. */
export class KpageflagsCache {
  readonly #windows = new Map<number, Uint32Array>();
  readonly #orders = new Map<number, Uint8Array>();
  constructor(readonly fd: number) {}

  /** Read every window the pfns need that is not cached yet. */
  load(pfns: Float64Array): void {
    const need = new Set<number>();
    for (const p of pfns) if (p === p && !this.#windows.has(Math.floor(p / WINDOW))) need.add(Math.floor(p / WINDOW));
    const sorted = [...need].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length;) {
      let j = i + 1;
      while (j < sorted.length && sorted[j] === sorted[j - 1] + 1 && j - i < MAX_RUN) j++;
      const buf = new Uint8Array((j - i) * WINDOW * 8);
      readFully(this.fd, buf, buf.length, sorted[i] * WINDOW * 8, "/proc/kpageflags");
      for (let w = i; w < j; w++) this.#windows.set(sorted[w], new Uint32Array(buf.buffer, (w - i) * WINDOW * 8, WINDOW * 2));
      i = j;
    }
  }

  /** The low 32 bits of a loaded pfn's kpageflags. */
  flags(pfn: number): number {
    return this.#windows.get(Math.floor(pfn / WINDOW))![2 * (pfn % WINDOW)];
  }

  /** Order of the folio holding a loaded pfn: its head and tails within the window (capped at PMD order). */
  order(pfn: number): number {
    const wi = Math.floor(pfn / WINDOW);
    let orders = this.#orders.get(wi);
    if (orders === undefined) this.#orders.set(wi, orders = windowOrders(this.#windows.get(wi)!));
    return orders[pfn % WINDOW];
  }
}

/** The folio order of every pfn of a window, from its heads and the tails after each. */
function windowOrders(w: Uint32Array): Uint8Array {
  const orders = new Uint8Array(WINDOW);
  const bit = (i: number, b: number) => (w[2 * i] >>> b) & 1;
  for (let h = 0; h < WINDOW;) {
    if (!bit(h, KPF.COMPOUND_HEAD)) { h++; continue; }
    let e = h + 1;
    while (e < WINDOW && bit(e, KPF.COMPOUND_TAIL)) e++;
    orders.fill(Math.floor(Math.log2(e - h)), h, e);
    h = e;
  }
  return orders;
}

/**
 * Add kpageflags' folio state and order to a VMA's pages, and mark PMD_MAPPED and ALIGNED:
 * a large folio is aligned when its pages sit at the same offset in the folio virtually
 * as physically; a PMD-order folio aligned at a 2 MiB boundary and mapped whole by this
 * VMA is taken as PMD-mapped, as thpmaps takes it (pagemap does not tell).
 */
export function addKpageflags(kpf: KpageflagsCache, start: number, pages: PagemapPages, order: Uint8Array): void {
  const { flags, pfns } = pages;
  kpf.load(pfns);
  const vpn0 = start / 4096;
  for (let i = 0; i < flags.length; i++) {
    const pfn = pfns[i];
    if (pfn !== pfn) continue;
    const k = kpf.flags(pfn);
    for (const [b, page] of KPF_TO_PAGE) if ((k >>> b) & 1) flags[i] |= page;
    const o = kpf.order(pfn);
    order[i] = o;
    if (o > 0 && (vpn0 + i) % 2 ** o === pfn % 2 ** o) flags[i] |= PAGE.ALIGNED;
  }
  for (let i = 0; i + WINDOW <= flags.length; i++) {
    if ((vpn0 + i) % WINDOW !== 0 || order[i] !== 9 || (flags[i] & PAGE.ALIGNED) === 0) continue;
    let j = 1;
    while (j < WINDOW && pfns[i + j] === pfns[i] + j) j++;
    if (j === WINDOW) for (let m = i; m < i + WINDOW; m++) flags[m] |= PAGE.PMD_MAPPED;
  }
}
