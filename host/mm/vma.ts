/** A virtual memory area of an anonymous private mapping. */

export interface Vma {
  start: number;
  end: number;
  /** VMA flag bits from layout.ts (`VMA.VM_*`). */
  flags: number;
  /** Whether an anon_vma exists: set by the first fault, required by khugepaged. */
  anonVma: boolean;
}

export const PMD_SHIFT = 21;
export const PMD_SIZE = 1 << PMD_SHIFT;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** First 2 MiB-aligned address inside the VMA (the kernel's `hstart`). */
export function vmaHstart(v: Vma): number {
  return Math.ceil(v.start / PMD_SIZE) * PMD_SIZE;
}

/** End of the last whole 2 MiB range inside the VMA (the kernel's `hend`). */
export function vmaHend(v: Vma): number {
  return Math.floor(v.end / PMD_SIZE) * PMD_SIZE;
}
