/**
 * khugepaged's step for one PMD of `khugepaged_scan_mm_slot()`'s walk: PMDs are asked of
 * the scan core in batches (a first batch of FIRST_BATCH per VMA, doubling while the
 * records are used up, never past the VMA or the budget left), and each record is
 * consumed in order: its time charged, SCAN_SUCCEED collapsed, its result counted and
 * traced.
 */
import { RECORD } from "../core/layout.ts";
import { ScanResult } from "../core/scan_result.ts";
import { readRecord, RING_RECORDS } from "../kernel/scan_record.ts";
import type { Kernel } from "../mm/kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { collapseHugePage } from "./collapse.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { COLLAPSE_NS, SCAN_NS_PER_PTE, SCAN_NS_PER_VISIT } from "./costs.ts";
import type { CollapseEvent } from "./events.ts";
import { type SlotWalk, stepWord } from "./scan_mm_slot.ts";
import { countScanResult, scanFlags, traceScanPmd } from "./scan_pmd_exit.ts";

const S = ScanResult;
/** First batch of PMDs asked of the core per VMA; it doubles while records are used up. */
const FIRST_BATCH = 8;

/** What the daemon learns from each PMD step. */
export interface PmdStepSink {
  /** A collapse was attempted. */
  collapsed(e: CollapseEvent): void;
  /** A PMD's scan ended with `result` (its final status). */
  decided(result: number): void;
}

/** The PMD steps of one `khugepaged_scan_mm_slot()` call over `mm`. */
export class ScanBatches {
  readonly #k: Kernel;
  readonly #mm: Mm;
  readonly #cc: CollapseControl;
  readonly #walk: SlotWalk;
  readonly #sink: PmdStepSink;
  /** The pass's simulated time so far, advanced by each PMD's scan and collapse. */
  readonly #pass: { elapsed: number };
  readonly #start: number;
  #vma = -1;
  #batch = FIRST_BATCH;
  #next = 0;
  #count = 0;

  constructor(k: Kernel, mm: Mm, cc: CollapseControl, walk: SlotWalk, pass: { elapsed: number }, sink: PmdStepSink) {
    this.#pass = pass;
    this.#k = k;
    this.#mm = mm;
    this.#cc = cc;
    this.#walk = walk;
    this.#sink = sink;
    this.#start = cc.ts;
  }

  /** Decide the PMD at `address` of VMA number `vma` (flags `vmaFlags`, PMD range ending at `hend`); a step word. */
  pmd(vma: number, vmaFlags: number, address: number, hend: number): number {
    const k = this.#k, mm = this.#mm, cc = this.#cc, sink = this.#sink, pass = this.#pass;
    if (vma !== this.#vma || this.#next === this.#count) this.#scan(vma, vmaFlags, address, hend);
    const rec = readRecord(k.core.u32, k.ring + this.#next++ * RECORD.BYTES);
    countScanResult(k, rec.result);
    pass.elapsed += rec.ptesExamined === 0 ? SCAN_NS_PER_VISIT : rec.ptesExamined * SCAN_NS_PER_PTE;
    cc.ts = this.#start + pass.elapsed;
    let result = rec.result;
    // collapse_huge_page() drops mmap_lock: this mm call ends after this PMD.
    const lockDropped = result === S.SUCCEED;
    if (lockDropped) {
      const c = collapseHugePage(k, mm, rec.address, rec.referenced, rec.unmapped, cc);
      result = c.result;
      pass.elapsed += COLLAPSE_NS;
      sink.collapsed({ type: "collapse", ts: cc.ts, mm, address: rec.address, result, lazyfreePages: c.lazyfreePages });
    }
    sink.decided(result);
    traceScanPmd(k, cc, mm, rec, result);
    return stepWord(result, rec.ptesExamined, lockDropped);
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
    k.scanCore.scanPmds(mm.pt.dir, pmdNo - mm.pt.basePmd, this.#count, pmdNo, kh.max_ptes_none, kh.max_ptes_swap,
      kh.max_ptes_shared, vmaFlags, scanFlags(k.variant, true), k.ring);
  }
}
