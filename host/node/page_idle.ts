/**
 * Idle page tracking (Documentation/admin-guide/mm/idle_page_tracking.rst): writing a 1
 * bit for a pfn to /sys/kernel/mm/page_idle/bitmap marks the page idle and clears the
 * young bits of the PTEs that map it; an access sets it young again, which clears the
 * bit. The bitmap is read and written in 8-byte words of 64 pfns.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";

export const PAGE_IDLE_BITMAP = "/sys/kernel/mm/page_idle/bitmap";

/** Bitmap words (pfn >> 6) that cover the given pfns, ascending; NaN pfns are skipped. */
export function idleWords(pfnLists: Iterable<Float64Array>): number[] {
  const words = new Set<number>();
  for (const pfns of pfnLists) for (const p of pfns) if (p === p) words.add(Math.floor(p / 64));
  return [...words].sort((a, b) => a - b);
}

/** Mark every pfn of the given words idle. */
export function markIdle(words: number[]): void {
  const fd = openSync(PAGE_IDLE_BITMAP, "r+");
  try {
    const ones = new Uint8Array(8).fill(0xff);
    for (const w of words) writeSync(fd, ones, 0, 8, w * 8);
  } finally {
    closeSync(fd);
  }
}

/** The idle bits of the given words, by word number (bit i: pfn word * 64 + i is still idle). */
export function readIdle(words: number[]): Map<number, bigint> {
  const fd = openSync(PAGE_IDLE_BITMAP, "r");
  const out = new Map<number, bigint>();
  try {
    const buf = new Uint8Array(8);
    const view = new DataView(buf.buffer);
    for (const w of words) {
      readSync(fd, buf, 0, 8, w * 8);
      out.set(w, view.getBigUint64(0, true));
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Whether `pfn` was accessed since it was marked idle. */
export function wasAccessed(idle: Map<number, bigint>, pfn: number): boolean {
  const bits = idle.get(Math.floor(pfn / 64));
  return bits !== undefined && ((bits >> BigInt(pfn % 64)) & 1n) === 0n;
}
