/**
 * What mm/ tells khugepaged, and the one call it makes into it: the kernel's
 * `khugepaged_enter_vma()`/`khugepaged_fork()`, `khugepaged_exit()`, the sysfs store
 * handlers' wake-ups and `madvise_collapse()`. mm/ calls these hooks and never imports
 * khugepaged/, which sits above it and installs them (KhugepagedKernel).
 */
import type { Mm } from "./mm.ts";
import type { Vma } from "./vma.ts";

export interface KhugepagedHooks {
  /** `__khugepaged_enter()`: put an eligible mm on khugepaged's list. */
  enter(mm: Mm): void;
  /** `__khugepaged_exit()`: the mm has exited. */
  exit(mm: Mm): void;
  /** A sysfs write under transparent_hugepage/ was applied (`path` relative to it). */
  tunableWritten(path: string): void;
  /** `madvise_collapse()` for [start, end) inside `vma`: 0 or a negative errno. */
  madviseCollapse(mm: Mm, vma: Vma, start: number, end: number): number;
}

/** EINVAL, what madvise returns for MADV_COLLAPSE in a kernel without khugepaged. */
const EINVAL = 22;

/** A kernel built without khugepaged: nothing registers, MADV_COLLAPSE fails with -EINVAL. */
export const NO_KHUGEPAGED: KhugepagedHooks = {
  enter: () => {},
  exit: () => {},
  tunableWritten: () => {},
  madviseCollapse: () => -EINVAL,
};
