/**
 * Which VMAs may hold THPs: `thp_vma_allowable_order()` for the fault path, khugepaged,
 * and MADV_COLLAPSE (`TVA_FORCED_COLLAPSE`) under the per-size `enabled` settings, and
 * the mTHP orders an anonymous fault may allocate.
 */
import { VMA } from "../core/layout.ts";
import type { Mm } from "./mm.ts";
import { vmaHend, vmaHstart, type Vma } from "./vma.ts";
import type { Tunables } from "../kernel/tunables.ts";
import { enabledOrders, orderEnabled, PMD_ORDER } from "../kernel/thp_sizes.ts";

export type ThpCaller = "fault" | "khugepaged" | "collapse";

/**
 * Whether `vma` of `mm` may hold a PMD-sized THP for `caller`, or with `anyOrder` (khugepaged
 * under the mTHP series: `collapse_allowable_orders()`) a THP of any enabled size.
 */
export function thpVmaAllowable(t: Tunables, mm: Mm, vma: Vma, caller: ThpCaller, anyOrder = false): boolean {
  if (caller !== "collapse") {
    // sysfs decides only for the daemon and faults; MADV_COLLAPSE is an explicit request.
    const vmHuge = (vma.flags & VMA.VM_HUGEPAGE) !== 0;
    if (anyOrder ? enabledOrders(t, vmHuge) === 0 : !orderEnabled(t, PMD_ORDER, vmHuge)) return false;
  }
  if ((vma.flags & VMA.VM_NOHUGEPAGE) !== 0 || mm.thpDisabled) return false;
  if (vmaHstart(vma) >= vmaHend(vma)) return false;
  // khugepaged and collapse need an anon_vma: a never-faulted VMA has nothing to collapse.
  if (caller !== "fault" && !vma.anonVma) return false;
  return true;
}

/**
 * `thp_vma_allowable_orders(vma, TVA_PAGEFAULT, BIT(PMD_ORDER) - 1)` for an anonymous
 * VMA: the mTHP orders below the PMD order a fault in `vma` may allocate, as a bitmask.
 * A fault needs no anon_vma yet and no PMD-sized room in the VMA (the window's fit is
 * alloc_anon_folio()'s check).
 */
export function thpVmaFaultOrders(t: Tunables, mm: Mm, vma: Vma): number {
  if ((vma.flags & VMA.VM_NOHUGEPAGE) !== 0 || mm.thpDisabled) return 0;
  return enabledOrders(t, (vma.flags & VMA.VM_HUGEPAGE) !== 0) & ((1 << PMD_ORDER) - 1);
}
