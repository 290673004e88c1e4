/**
 * `collapse_huge_page()` at an mTHP order (2 … PMD_ORDER − 1), as the series' v17 runs
 * it on one aligned window of a PMD: allocate the folio, revalidate, flush the PMD,
 * isolate the window's PTEs with the mTHP thresholds (`max_ptes_none(o)`, no shared and
 * no swap entry: mTHP collapse does not swap in), copy, and map the new folio by PTEs.
 * The checks run in TypeScript for both engines (the scan cores' isolate is PMD-wide).
 */
import { PMD, PTE, VMA } from "../core/layout.ts";
import { collapseMaxPtesNone } from "../core/occupancy.ts";
import {
  folioLocked, folioLru, folioMapcount, folioOrder, folioPins, pteCleanLazyfree, pteNoneOrZero, ptePresent,
  pteReferenced, pteSpecial, pteUffdWp, folioAnon, pteNormal,
} from "../core/pte.ts";
import { ScanResult } from "../core/scan_result.ts";
import type { Kernel } from "../mm/kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { newAnonLo, pteWord, unmapPage } from "../mm/pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE, type Vma } from "../mm/vma.ts";
import { orderEnabled } from "../kernel/thp_sizes.ts";
import { hashedPointer } from "../kernel/trace.ts";
import type { Collapse } from "./collapse.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { countMthpStat, EXCEED_STATS } from "../kernel/mthp_stats.ts";

const S = ScanResult;

function trace(k: Kernel, cc: CollapseControl, event: string, fields: Array<readonly [string, number | string]>): void {
  k.tracer.emit({ ts: cc.ts, comm: cc.comm, pid: cc.pid, cpu: cc.cpu, event, fields });
}

/** Collapse the 2^`order` PTEs from PTE `offset` of the PMD at `pmdAddress` into one folio. */
export function collapseMthp(
  k: Kernel, mm: Mm, pmdAddress: number, offset: number, order: number, cc: CollapseControl,
): Collapse {
  const head = k.phys.allocOrder(order);
  countMthpStat(k.mthpStats, order, head < 0 ? "collapse_alloc_failed" : "collapse_alloc");
  const c: Collapse = head < 0
    ? { result: S.ALLOC_HUGE_PAGE_FAIL, lazyfreePages: 0 }
    : collapseWith(k, mm, pmdAddress, offset, order, cc, head);
  if (head >= 0 && c.result !== S.SUCCEED) for (let i = 0; i < 1 << order; i++) k.phys.freePage(head + i);
  trace(k, cc, "mm_collapse_huge_page", [
    ["mm", hashedPointer(mm.id)], ["isolated", c.result === S.SUCCEED ? 1 : 0], ["status", k.variant.traceString(c.result)],
    ["order", order],
  ]);
  return c;
}

function collapseWith(
  k: Kernel, mm: Mm, pmdAddress: number, offset: number, order: number, cc: CollapseControl, head: number,
): Collapse {
  const failed = (result: number): Collapse => ({ result, lazyfreePages: 0 });
  const n = 1 << order;
  const address = pmdAddress + offset * PAGE_SIZE;
  // hugepage_vma_revalidate() at this order.
  if (mm.users === 0 || mm.thpDisabled) return failed(S.ANY_PROCESS);
  const vma = mm.vmas.find((v) => v.end > address);
  if (!vma) return failed(S.VMA_NULL);
  if (address < vma.start || address + n * PAGE_SIZE > vma.end) return failed(S.ADDRESS_RANGE);
  if ((vma.flags & VMA.VM_NOHUGEPAGE) !== 0 || !orderEnabled(k.tunables, order, (vma.flags & VMA.VM_HUGEPAGE) !== 0)) {
    return failed(S.VMA_CHECK);
  }
  const pmdNo = pmdOf(pmdAddress);
  const entry = mm.pt.entry(pmdNo);
  if (entry === 0) return failed(S.NO_PTE_TABLE);
  if ((entry & (PMD.HUGE | PMD.MIGRATION)) !== 0) return failed(S.PMD_MAPPED);
  // The PMD is detached and flushed for the collapse of any window of it.
  mm.flushTlbRange(pmdNo * PMD_SIZE, (pmdNo + 1) * PMD_SIZE);
  const t = mm.pt.writableTable(pmdNo);
  const r = isolateWindow(k, vma.flags, t, offset, order, cc);
  if (r !== S.SUCCEED) return failed(r);
  return { result: S.SUCCEED, lazyfreePages: copyAndMap(k, mm, vma, pmdAddress, t, offset, order, head) };
}

/**
 * The copy and the mapping of the new folio over the window: the old pages go. Returns
 * how many of them were clean lazy-free pages; when every PTE of the window held one, a
 * variant may keep the folio lazy-free (collapsedSwapbacked), as it does a PMD's THP.
 */
function copyAndMap(
  k: Kernel, mm: Mm, vma: Vma, pmdAddress: number, t: number, offset: number, order: number, head: number,
): number {
  const u32 = k.core.u32;
  const n = 1 << order;
  let lazyfree = 0;
  for (let i = offset; i < offset + n; i++) {
    const lo = u32[pteWord(t, i)];
    if (pteNormal(lo) && pteCleanLazyfree(lo)) lazyfree++;
  }
  const droppable = (vma.flags & VMA.VM_DROPPABLE) !== 0;
  const swapbacked = k.variant.collapsedSwapbacked(lazyfree === n, droppable);
  // The new folio is mapped young and dirty, every page of it, the empty ones included;
  // one a variant keeps lazy-free is mapped clean (a dirty PTE would make reclaim keep it).
  let lo = newAnonLo(vma, true, order);
  if (!swapbacked) lo &= ~PTE.FOLIO_SWAPBACKED;
  if (!swapbacked && !droppable) lo &= ~PTE.DIRTY;
  for (let i = offset; i < offset + n; i++) {
    const w = pteWord(t, i);
    if (pteNormal(u32[w])) unmapPage(k, mm, pmdAddress + i * PAGE_SIZE, u32[w], u32[w + 1]);
    u32[w] = lo;
    u32[w + 1] = head + (i - offset);
  }
  return lazyfree;
}

/** `__collapse_huge_page_isolate()`'s checks over the window, with the mTHP thresholds; traced. */
function isolateWindow(k: Kernel, vmaFlags: number, t: number, offset: number, order: number, cc: CollapseControl): number {
  const u32 = k.core.u32;
  const maxNone = (vmaFlags & VMA.VM_UFFD_ARMED) !== 0 ? 0 : collapseMaxPtesNone(order, k.tunables.khugepaged.max_ptes_none, k.variant.mthpMaxNone);
  const skipLazyfree = k.variant.lazyfreeSkip && (vmaFlags & VMA.VM_DROPPABLE) === 0;
  let none = 0, referenced = 0, pfn = -1;
  let result: number = S.SUCCEED;
  for (let i = offset; i < offset + (1 << order) && result === S.SUCCEED; i++) {
    const w = pteWord(t, i);
    const lo = u32[w];
    if (pteNoneOrZero(lo)) {
      if (++none > maxNone) result = S.EXCEED_NONE_PTE;
      continue;
    }
    // max_ptes_swap and max_ptes_shared are 0 for mTHP orders.
    if (!ptePresent(lo)) result = S.EXCEED_SWAP_PTE;
    else if (pteUffdWp(lo)) result = S.PTE_UFFD_WP;
    else if (pteSpecial(lo)) result = S.PAGE_NULL;
    else if (!folioAnon(lo)) result = S.PAGE_ANON;
    else if (skipLazyfree && pteCleanLazyfree(lo)) result = S.PAGE_LAZYFREE;
    // A folio at or above the target order already maps this page (v17 leaves partly mapped ones for later).
    else if (folioOrder(lo) >= order) result = S.PTE_MAPPED_HUGEPAGE;
    else if (folioMapcount(lo) > 1) result = S.EXCEED_SHARED_PTE;
    else if (folioLocked(lo)) result = S.PAGE_LOCK;
    else if (folioPins(lo) !== 0) result = S.PAGE_COUNT;
    else if (!folioLru(lo)) result = S.DEL_PAGE_LRU;
    else if (pteReferenced(lo)) referenced++;
    pfn = u32[w + 1];
  }
  if (result === S.SUCCEED && referenced === 0) result = S.LACK_REFERENCED_PAGE;
  const stat = EXCEED_STATS.get(result);
  if (stat) countMthpStat(k.mthpStats, order, stat);
  trace(k, cc, "mm_collapse_huge_page_isolate", [
    ["scan_pfn", pfn], ["none_or_zero", none], ["referenced", referenced], ["status", k.variant.traceString(result)],
    ["order", order],
  ]);
  return result;
}
