/**
 * khugepaged's step for one PMD of `khugepaged_scan_mm_slot()`'s walk: PMDs are asked of
 * the scan core in batches (a first batch of FIRST_BATCH per VMA, doubling while the
 * records are used up, never past the VMA or the budget left), and each record is
 * consumed in order: its time charged, SCAN_SUCCEED collapsed, its result counted and
 * traced.
 */
import { OCCUPANCY, RECORD, VMA } from "../core/layout.ts";
import { windowQualifies } from "../core/occupancy.ts";
import { ScanResult } from "../core/scan_result.ts";
import { readRecord, RING_RECORDS, type ScanRecord } from "../kernel/scan_record.ts";
import { enabledOrders, PMD_ORDER } from "../kernel/thp_sizes.ts";
import { PAGE_SIZE } from "../mm/vma.ts";
import { collapseMthp } from "./collapse_mthp.ts";
import { MAX_PTES_NONE_WARNING, mthpCollapse } from "./mthp_collapse.ts";
import type { ClockedKernel } from "./clocked_kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { collapseHugePage } from "./collapse.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { allocNs, collapseNs } from "./costs.ts";
import type { CollapseEvent } from "./events.ts";
import { type SlotWalk, stepWord } from "./scan_mm_slot.ts";
import { countScanResult, scanFlags, traceScanPmd } from "./scan_pmd_exit.ts";

const S = ScanResult;
const PMD_ONLY = 1 << PMD_ORDER;
/** First batch of PMDs asked of the core per VMA; it doubles while records are used up. */
const FIRST_BATCH = 8;

/** What the daemon learns from each PMD step. */
export interface PmdStepSink {
  /** A collapse was attempted. */
  collapsed(e: CollapseEvent): void;
  /** The scan of `mm`'s PMD at `address` ended with `result` (its final status). */
  decided(result: number, mm: Mm, address: number): void;
}

/** What a PMD step advances of its pass: work time (and when it is done), PMDs scanned, collapses. */
export interface PassClock {
  elapsed: number;
  wall(elapsed: number): number;
  pmds: number;
  collapses: number;
}

/** The PMD steps of one `khugepaged_scan_mm_slot()` call over `mm`. */
export class ScanBatches {
  readonly #k: ClockedKernel;
  readonly #mm: Mm;
  readonly #cc: CollapseControl;
  readonly #walk: SlotWalk;
  readonly #sink: PmdStepSink;
  /** The pass's simulated time so far, advanced by each PMD's scan and collapse. */
  readonly #pass: PassClock;
  #vma = -1;
  /** The orders `collapse_allowable_orders()` gives the VMA being scanned, as a bitmask. */
  #orders = PMD_ONLY;
  /** collapse_max_ptes_none() at the PMD order for the VMA of the batch: 0 when userfaultfd-armed. */
  #pmdMaxNone = 0;
  #batch = FIRST_BATCH;
  #next = 0;
  #count = 0;

  constructor(k: ClockedKernel, mm: Mm, cc: CollapseControl, walk: SlotWalk, pass: PassClock, sink: PmdStepSink) {
    this.#pass = pass;
    this.#k = k;
    this.#mm = mm;
    this.#cc = cc;
    this.#walk = walk;
    this.#sink = sink;
  }

  /** Decide the PMD at `address` of VMA number `vma` (flags `vmaFlags`, PMD range ending at `hend`); a step word. */
  pmd(vma: number, vmaFlags: number, address: number, hend: number): number {
    const k = this.#k, mm = this.#mm, cc = this.#cc, sink = this.#sink, pass = this.#pass;
    if (vma !== this.#vma || this.#next === this.#count) this.#scan(vma, vmaFlags, address, hend);
    const index = this.#next++;
    const rec = readRecord(k.core.u32, k.ring + index * RECORD.BYTES);
    countScanResult(k, rec.result);
    pass.pmds++;
    pass.elapsed += rec.ptesExamined === 0 ? k.costs.visitNs : rec.ptesExamined * k.costs.pteNs;
    cc.ts = pass.wall(pass.elapsed);
    let result = rec.result;
    // collapse_huge_page() drops mmap_lock: this mm call ends after this PMD.
    const lockDropped = result === S.SUCCEED;
    if (lockDropped && this.#orders !== PMD_ONLY) {
      result = this.#mthpCollapse(rec, k.occupancy + index * OCCUPANCY.BYTES);
    } else if (lockDropped && k.variant.mthpCollapse && rec.noneOrZero + rec.unmapped > this.#pmdMaxNone) {
      // 7.2 runs mthp_collapse() with only the PMD order too: its window needs 512 − max_ptes_none
      // occupied bits, and a swap PTE has none (a scan that succeeded saw every other PTE occupied).
      result = S.FAIL;
    } else if (lockDropped) {
      const defrag = k.tunables.khugepaged.defrag === 1;
      // collapse_huge_page()'s own events come after its allocation.
      cc.ts = pass.wall(pass.elapsed + allocNs(k.costs, defrag, k.fragmentation));
      const c = collapseHugePage(k, mm, rec.address, rec.referenced, rec.unmapped, cc);
      result = c.result;
      const stage = result === S.SUCCEED ? "succeeded" : result === S.ALLOC_HUGE_PAGE_FAIL ? "alloc-failed" : "failed";
      pass.elapsed += collapseNs(k.costs, stage, defrag, k.fragmentation);
      if (result === S.SUCCEED) pass.collapses++;
      // mm_khugepaged_scan_pmd is emitted after collapse_huge_page() returns, its work done.
      cc.ts = pass.wall(pass.elapsed);
      sink.collapsed({ type: "collapse", ts: cc.ts, mm, address: rec.address, result, lazyfreePages: c.lazyfreePages });
    }
    sink.decided(result, mm, rec.address);
    traceScanPmd(k, cc, mm, rec, result);
    return stepWord(result, rec.ptesExamined, lockDropped);
  }

  /**
   * `mthp_collapse()` over the PMD of `rec` (the mTHP series): the windows the scan
   * judged in its occupancy record at `occ` and the enabled orders pick, each collapsed at
   * its order, timed and reported like a PMD collapse. The PMD's status is SUCCEED when
   * any window was collapsed.
   */
  #mthpCollapse(rec: ScanRecord, occ: number): number {
    const k = this.#k, mm = this.#mm, cc = this.#cc, pass = this.#pass;
    const defrag = k.tunables.khugepaged.defrag === 1;
    const qualifies = (offset: number, order: number) => windowQualifies(k.core.u32, occ, offset, order);
    const walk = mthpCollapse(qualifies, this.#orders, k.tunables.khugepaged.max_ptes_none, k.variant.mthpMaxNone, (offset, order) => {
      cc.ts = pass.wall(pass.elapsed + allocNs(k.costs, defrag, k.fragmentation));
      const c = order === PMD_ORDER
        ? collapseHugePage(k, mm, rec.address, rec.referenced, rec.unmapped, cc)
        : collapseMthp(k, mm, rec.address, offset, order, cc);
      const stage = c.result === S.SUCCEED ? "succeeded" : c.result === S.ALLOC_HUGE_PAGE_FAIL ? "alloc-failed" : "failed";
      pass.elapsed += collapseNs(k.costs, stage, defrag, k.fragmentation);
      if (c.result === S.SUCCEED) pass.collapses++;
      cc.ts = pass.wall(pass.elapsed);
      const address = rec.address + offset * PAGE_SIZE;
      this.#sink.collapsed({ type: "collapse", ts: cc.ts, mm, address, result: c.result, lazyfreePages: c.lazyfreePages, order });
      return c.result;
    });
    if (walk.maxPtesNoneFellBack) k.warnOnce(MAX_PTES_NONE_WARNING);
    return walk.collapsed > 0 ? S.SUCCEED : S.FAIL;
  }

  /** Ask the core for the next batch from `address`. */
  #scan(vma: number, vmaFlags: number, address: number, hend: number): void {
    if (vma !== this.#vma) {
      this.#vma = vma;
      this.#batch = FIRST_BATCH;
    } else {
      this.#batch = Math.min(this.#batch * 2, RING_RECORDS);
    }
    const k = this.#k, mm = this.#mm, kh = k.tunables.khugepaged, w = this.#walk;
    const pmdNo = pmdOf(address);
    this.#count = Math.min(this.#batch, pmdOf(hend) - pmdNo, Math.max(1, w.budget - w.progress));
    this.#next = 0;
    this.#orders = k.variant.mthpCollapse ? enabledOrders(k.tunables, (vmaFlags & VMA.VM_HUGEPAGE) !== 0) : PMD_ONLY;
    this.#pmdMaxNone = (vmaFlags & VMA.VM_UFFD_ARMED) !== 0 ? 0 : kh.max_ptes_none;
    // With mTHP orders the scan fills the occupancy records, judging each window by max_ptes_none per order.
    k.scanCore.scanPmds(mm.pt.dir, pmdNo - mm.pt.basePmd, this.#count, pmdNo, kh.max_ptes_none, kh.max_ptes_swap,
      kh.max_ptes_shared, vmaFlags, scanFlags(k.variant, true, this.#orders !== PMD_ONLY), k.ring, k.occupancy);
  }
}
