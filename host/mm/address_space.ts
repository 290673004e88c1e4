/**
 * x86-64's user address space (4-level page tables) as a process without address
 * randomization sees it: where mmap puts a mapping, and where it runs out of room.
 */
import { PAGE_SIZE, PMD_SIZE } from "./vma.ts";

/** The end of the user address space: a page below 128 TiB. */
export const TASK_SIZE_MAX = 2 ** 47 - PAGE_SIZE;
/** mmap_base(): the top of the mmap area, below the stack's gap, which is at least MIN_GAP (128 MiB). */
export const MMAP_BASE = TASK_SIZE_MAX - 128 * 1024 * 1024;
/** vm.mmap_min_addr's default on x86: nothing is mapped below it. */
export const MMAP_MIN_ADDR = 65536;

/**
 * The alignment mmap gives an anonymous mapping of `len` bytes when none is asked for:
 * since Linux 6.7 a length that is a multiple of the PMD size is placed on a PMD boundary
 * so that THPs can back it, unless THPs are off.
 */
export function mmapAlign(len: number, thpOn: boolean): number {
  return len % PMD_SIZE === 0 && thpOn ? PMD_SIZE : PAGE_SIZE;
}

/**
 * Where x86-64's default, top-down layout (arch_get_unmapped_area_topdown) places `len`
 * bytes aligned to `align` below `low`, the lowest mapping so far, or null when they
 * would reach below MMAP_MIN_ADDR. A page of gap keeps the new mapping from merging
 * with the one above it into one VMA.
 */
export function placeBelow(low: number, len: number, align: number): number | null {
  const start = Math.floor((low - PAGE_SIZE - len) / align) * align;
  return start >= MMAP_MIN_ADDR ? start : null;
}
