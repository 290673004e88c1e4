/**
 * `collapse_huge_page()` for anonymous memory: allocate a PMD-sized folio, revalidate,
 * swap in, run the isolate checks on the detached table, copy, and map the new PMD.
 */
import { PMD, VMA } from "../core/layout.ts";
import { pteCleanLazyfree, pteNormal, ptePresent } from "../core/pte.ts";
import { ScanResult } from "../core/scan_result.ts";
import type { Kernel } from "../mm/kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { newAnonLo, pteWord, unmapPage } from "../mm/pte_ops.ts";
import { PMD_SIZE, type Vma } from "../mm/vma.ts";
import { readRecord } from "../kernel/scan_record.ts";
import { thpVmaAllowable } from "../mm/thp_policy.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";
import { countMthpStat, EXCEED_STATS } from "../kernel/mthp_stats.ts";
import { hashedPointer } from "../kernel/trace.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { scanFlags } from "./scan_pmd_exit.ts";

const S = ScanResult;

/** The mTHP series appends `order` to the collapse events: a PMD collapse prints order=9. */
function orderField(k: Kernel): Array<readonly [string, number]> {
  return k.variant.mthpCollapse ? [["order", PMD_ORDER]] : [];
}

function trace(k: Kernel, cc: CollapseControl, event: string, fields: Array<readonly [string, number | string]>): void {
  k.tracer.emit({ ts: cc.ts, comm: cc.comm, pid: cc.pid, cpu: cc.cpu, event, fields });
}

/** `hugepage_vma_revalidate()`: the VMA at `address` may still be collapsed, or why not. */
export function revalidate(k: Kernel, mm: Mm, address: number, cc: CollapseControl): { vma?: Vma; result: number } {
  if (mm.users === 0 || mm.thpDisabled) return { result: S.ANY_PROCESS };
  // find_vma(): the first VMA ending above the address, which may start above it.
  const vma = mm.vmas.find((v) => v.end > address);
  if (!vma) return { result: S.VMA_NULL };
  if (address < vma.start || address + PMD_SIZE > vma.end) return { result: S.ADDRESS_RANGE };
  // A VMA without an anon_vma fails here already (thp_vma_allowable_order()); every VMA
  // of the model is anonymous, so the kernel's SCAN_PAGE_ANON check that follows cannot fail.
  if (!thpVmaAllowable(k.tunables, mm, vma, cc.isKhugepaged ? "khugepaged" : "collapse")) return { result: S.VMA_CHECK };
  return { vma, result: S.SUCCEED };
}

/** How a collapse attempt ended, and what went into the THP. */
export interface Collapse {
  /** The result that replaces the scan's SUCCEED. */
  result: number;
  /** Clean lazy-free base pages the new THP took in (0 unless it succeeded). */
  lazyfreePages: number;
}

/** Collapse the PMD at `address`. */
export function collapseHugePage(
  k: Kernel, mm: Mm, address: number, referenced: number, unmapped: number, cc: CollapseControl,
): Collapse {
  const c: Collapse = { result: S.ALLOC_HUGE_PAGE_FAIL, lazyfreePages: 0 };
  const head = k.phys.allocHuge();
  if (k.variant.mthpCollapse) countMthpStat(k.mthpStats, PMD_ORDER, head < 0 ? "collapse_alloc_failed" : "collapse_alloc");
  if (head < 0) {
    k.vmstat.thp_collapse_alloc_failed++;
    return finish(k, mm, cc, c);
  }
  k.vmstat.thp_collapse_alloc++;
  c.result = collapseWith(k, mm, address, referenced, unmapped, cc, head, c);
  if (c.result !== S.SUCCEED) k.phys.freeHuge(head);
  return finish(k, mm, cc, c);
}

function finish(k: Kernel, mm: Mm, cc: CollapseControl, c: Collapse): Collapse {
  trace(k, cc, "mm_collapse_huge_page", [
    ["mm", hashedPointer(mm.id)], ["isolated", c.result === S.SUCCEED ? 1 : 0], ["status", k.variant.traceString(c.result)],
    ...orderField(k),
  ]);
  return c;
}

function collapseWith(
  k: Kernel, mm: Mm, address: number, referenced: number, unmapped: number, cc: CollapseControl, head: number,
  c: Collapse,
): number {
  const { vma, result } = revalidate(k, mm, address, cc);
  if (!vma) return result;
  const pmdNo = pmdOf(address);
  const entry = mm.pt.entry(pmdNo);
  if (entry === 0) return S.NO_PTE_TABLE;
  if ((entry & (PMD.HUGE | PMD.MIGRATION)) !== 0) return S.PMD_MAPPED;
  if (unmapped > 0) {
    const r = swapIn(k, mm, vma, pmdNo, referenced, cc);
    if (r !== S.SUCCEED) return r;
  }
  // pmdp_collapse_flush() detaches the table before isolation, and shoots down the 512
  // PTEs' translations, not one PMD's: a collapse that then fails has flushed all the same.
  mm.flushTlbRange(pmdNo * PMD_SIZE, (pmdNo + 1) * PMD_SIZE);
  const t = mm.pt.writableTable(pmdNo);
  const kh = k.tunables.khugepaged;
  k.scanCore.isolatePmd(
    t, pmdNo, kh.max_ptes_none, kh.max_ptes_shared, vma.flags, scanFlags(k.variant, cc.isKhugepaged), k.isolateRecord,
  );
  const rec = readRecord(k.core.u32, k.isolateRecord);
  if (rec.result === S.EXCEED_NONE_PTE) k.vmstat.thp_scan_exceed_none_pte++;
  if (rec.result === S.EXCEED_SHARED_PTE) k.vmstat.thp_scan_exceed_share_pte++;
  const stat = EXCEED_STATS.get(rec.result);
  if (stat && k.variant.mthpCollapse) countMthpStat(k.mthpStats, PMD_ORDER, stat);
  trace(k, cc, "mm_collapse_huge_page_isolate", [
    ["scan_pfn", rec.pfn], ["none_or_zero", rec.noneOrZero], ["referenced", rec.referenced],
    ["status", k.variant.traceString(rec.result)], ...orderField(k),
  ]);
  if (rec.result !== S.SUCCEED) return rec.result;
  c.lazyfreePages = copyAndMap(k, mm, vma, pmdNo, t, head);
  return S.SUCCEED;
}

/** `__collapse_huge_page_swapin()`: fault in every swap entry of the PMD. */
function swapIn(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, referenced: number, cc: CollapseControl): number {
  let swappedIn = 0;
  let result: number = S.SUCCEED;
  for (let i = 0; i < 512; i++) {
    const lo = mm.pt.pte(pmdNo, i);
    if (lo === 0 || ptePresent(lo)) continue;
    const pfn = k.phys.allocPage();
    if (pfn < 0) {
      result = S.FAIL;
      break;
    }
    k.vmstat.pswpin++;
    mm.pt.setPte(pmdNo, i, newAnonLo(vma, false), pfn);
    swappedIn++;
  }
  trace(k, cc, "mm_collapse_huge_page_swapin", [
    ["mm", hashedPointer(mm.id)], ["swapped_in", swappedIn], ["referenced", referenced], ["ret", result],
  ]);
  return result;
}

/**
 * `__collapse_huge_page_copy()` and the PMD install: the old pages go, the THP maps.
 * Returns how many of the old pages were clean lazy-free anonymous pages.
 */
function copyAndMap(k: Kernel, mm: Mm, vma: Vma, pmdNo: number, t: number, head: number): number {
  const u32 = k.core.u32;
  let allLazyfree = true;
  let lazyfree = 0;
  for (let i = 0; i < 512; i++) {
    const w = pteWord(t, i);
    const lo = u32[w];
    if (!pteNormal(lo)) {
      allLazyfree = false;
      continue;
    }
    if (!pteCleanLazyfree(lo)) allLazyfree = false;
    else lazyfree++;
    unmapPage(k, mm, pmdNo * PMD_SIZE + i * 4096, lo, u32[w + 1]);
    u32[w] = 0;
    u32[w + 1] = 0;
  }
  mm.pt.dropTable(pmdNo);
  mm.pt.setEntry(pmdNo, (PMD.HUGE | (head >>> 9)) >>> 0);
  const droppable = (vma.flags & VMA.VM_DROPPABLE) !== 0;
  // The new PMD is made dirty (and, from x86's base protection, young); outside
  // VM_DROPPABLE the folio is swap-backed, so any lazy-free-ness of the old pages is gone.
  // A THP a variant keeps lazy-free is mapped clean instead: reclaim would take a dirty
  // one for re-dirtied and make it swap-backed, and smaps would not count it LazyFree.
  const swapbacked = k.variant.collapsedSwapbacked(allLazyfree, droppable);
  const keptLazyfree = !swapbacked && !droppable;
  mm.huge.set(pmdNo, { head, young: true, dirty: !keptLazyfree, swapbacked });
  return lazyfree;
}

