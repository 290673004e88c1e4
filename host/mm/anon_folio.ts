/**
 * `alloc_anon_folio()` and the mapping `do_anonymous_page()` gives its folio: a write
 * fault on a none PTE allocates a multi-size THP (mTHP) of the largest order below the
 * PMD order that is enabled for the VMA, whose naturally aligned window lies inside the
 * VMA with every PTE of it none, and that the physical pool can hand out, falling back
 * order by order; the folio is mapped by PTEs, the whole window at once.
 */
import { VMA } from "../core/layout.ts";
import { countMthpStat } from "../kernel/mthp_stats.ts";
import { MIN_ANON_ORDER, PMD_ORDER } from "../kernel/thp_sizes.ts";
import type { Kernel } from "./kernel.ts";
import { newAnonLo, pteWord } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE, type Vma } from "./vma.ts";

/** The mTHP orders whose aligned window around PTE `index` of PMD `pmdNo` lies inside `vma`: `thp_vma_suitable_orders()`. */
function suitableOrders(vma: Vma, pmdNo: number, index: number, orders: number): number {
  let out = 0;
  for (let o = MIN_ANON_ORDER; o < PMD_ORDER; o++) {
    if (((orders >>> o) & 1) === 0) continue;
    const start = pmdNo * PMD_SIZE + ((index >> o) << o) * PAGE_SIZE;
    if (start >= vma.start && start + (PAGE_SIZE << o) <= vma.end) out |= 1 << o;
  }
  return out;
}

/** Whether the 2^`order` PTEs of table `t` from PTE `first` are all none: `pte_range_none()`. */
function pteRangeNone(u32: Uint32Array, t: number, first: number, order: number): boolean {
  for (let i = first; i < first + (1 << order); i++) if (u32[pteWord(t, i)] !== 0) return false;
  return true;
}

/**
 * A write fault on the none PTE `index` of table `t` (PMD `pmdNo`, in `vma`, whose
 * allowable mTHP orders are `allowable`, thp_policy.ts thpVmaFaultOrders()): map an mTHP
 * over its window and return true, or return false for the caller's 4 KiB page (no order
 * suitable, or none allocated).
 */
export function faultAnonFolio(k: Kernel, vma: Vma, allowable: number, pmdNo: number, t: number, index: number): boolean {
  // A userfaultfd-armed VMA needs per-page fault fidelity.
  if ((vma.flags & VMA.VM_UFFD_ARMED) !== 0) return false;
  let orders = suitableOrders(vma, pmdNo, index, allowable);
  const u32 = k.core.u32;
  // The highest order whose window is all none; every order below it is all none too.
  while (orders !== 0) {
    const o = highest(orders);
    if (pteRangeNone(u32, t, (index >> o) << o, o)) break;
    orders &= ~(1 << o);
  }
  for (; orders !== 0; orders &= ~(1 << highest(orders))) {
    const order = highest(orders);
    const head = k.phys.allocOrder(order);
    if (head < 0) {
      countMthpStat(k.mthpStats, order, "anon_fault_fallback");
      continue;
    }
    const first = (index >> order) << order;
    // x86's protection bits carry the accessed bit, and a writable VMA's entry is made
    // dirty and writable: every PTE of the folio is mapped young and dirty.
    const lo = newAnonLo(vma, true, order);
    for (let i = 0; i < 1 << order; i++) {
      const w = pteWord(t, first + i);
      u32[w] = lo;
      u32[w + 1] = head + i;
    }
    countMthpStat(k.mthpStats, order, "anon_fault_alloc");
    return true;
  }
  return false;
}

/** The highest set bit of a non-zero mask. */
function highest(mask: number): number {
  return 31 - Math.clz32(mask);
}
