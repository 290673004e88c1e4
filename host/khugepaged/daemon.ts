/**
 * The khugepaged thread: the mm_slot list in registration order, the scan cursor,
 * wake-ups every `scan_sleep_millisecs`, a budget of `pages_to_scan` per pass charged
 * as the kernel variant says, `full_scans`, `pages_collapsed`, and the
 * `alloc_sleep_millisecs` back-off after a failed huge allocation.
 */
import { RECORD } from "../core/layout.ts";
import { SCAN_RESULTS, ScanResult } from "../core/scan_result.ts";
import { RING_RECORDS, type Kernel } from "../mm/kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { PMD_SIZE, vmaHend, vmaHstart } from "../mm/vma.ts";
import { NS_PER_MS } from "../kernel/event_queue.ts";
import { type CollapseControl, collapseHugePage, scanFlags } from "./collapse.ts";
import { COLLAPSE_NS, SCAN_NS_PER_PTE, SCAN_NS_PER_VISIT } from "./costs.ts";
import { readRecord, type ScanRecord } from "../kernel/scan_record.ts";
import { hugepagePmdEnabled, thpVmaAllowable } from "../mm/thp_policy.ts";
import { hashedPointer } from "../kernel/trace.ts";

const S = ScanResult;
/** khugepaged's pid and CPU in traces. */
const KHUGEPAGED_PID = 57;
const KHUGEPAGED_CPU = 1;
/** First batch of PMDs asked of the core per call; it doubles while records are used up. */
const FIRST_BATCH = 8;

/** State of one pass (`khugepaged_do_scan`), kept across the mid-pass allocation sleep. */
interface Pass {
  budget: number;
  progress: number;
  passThroughHead: number;
  /** False once the pass has slept after a failed allocation: the next failure ends it. */
  wait: boolean;
  /** Simulated time spent so far in this pass. */
  elapsed: number;
  /** When the pass began (before any allocation sleep). */
  began: number;
}

/** One finished pass of `khugepaged_do_scan()`, for observers and tests. */
export interface PassEvent {
  /** Wake-up that began the pass, and the end of its work, in simulated ns. */
  start: number;
  end: number;
  /** Budget units charged (can pass `pages_to_scan` by one PMD's charge). */
  progress: number;
  /** How often the cursor was at the list head when the loop looked (at most 2). */
  passThroughHead: number;
  /** Whether the pass slept `alloc_sleep_millisecs` after a failed huge allocation. */
  allocSlept: boolean;
}

/** One scan record as a collapse outcome, for observers (the scenario runner's timeline). */
export interface CollapseEvent {
  ts: number;
  mm: Mm;
  address: number;
  result: number;
}

export class Khugepaged {
  readonly k: Kernel;
  /** `khugepaged_scan.mm_head`: registered mms, FIFO. */
  readonly slots: Mm[] = [];
  /** `khugepaged_scan.mm_slot` (null at the list head) and `.address`. */
  cursor: { mm: Mm | null; address: number } = { mm: null, address: 0 };
  fullScans = 0;
  pagesCollapsed = 0;
  /** Passes run so far. */
  wakeups = 0;
  /** How often each result (by code) was the status of khugepaged's mm_khugepaged_scan_pmd, traced or not. */
  readonly scanResults: number[] = SCAN_RESULTS.map(() => 0);
  /** Called after every collapse attempt khugepaged makes. */
  onCollapse?: (e: CollapseEvent) => void;
  /** Called when a pass ends. */
  onPass?: (e: PassEvent) => void;
  /** Called with each PMD's final scan status (after any collapse), as mm_khugepaged_scan_pmd reports it. */
  onScanPmd?: (mm: Mm, address: number, result: number) => void;
  /** What the thread sleeps in: the timed scan sleep, the allocation back-off, or nothing. */
  #sleep: { kind: "scan" | "alloc"; pass?: Pass } | null = null;
  /** Bumped to cancel the pending wake-up. */
  #gen = 0;
  /** The thread exists: `start_stop_khugepaged()` stops it while THP is disabled. */
  #running = true;
  /** Simulated time the last piece of work ends; a wake-up cannot start before it. */
  #busyUntil = 0;

  constructor(k: Kernel) {
    this.k = k;
  }

  #hasWork(): boolean {
    return this.slots.length > 0 && hugepagePmdEnabled(this.k.tunables);
  }

  /** `__khugepaged_enter()`: append at the tail; wake the thread if the list was empty. */
  enter(mm: Mm): void {
    if (mm.registered) return;
    mm.registered = true;
    this.slots.push(mm);
    if (this.slots.length === 1) this.#wakeUp();
  }

  /** `__khugepaged_exit()`: drop the slot now unless the cursor is on it. */
  exit(mm: Mm): void {
    if (!mm.registered || this.cursor.mm === mm) return;
    this.#remove(mm);
  }

  /**
   * `start_stop_khugepaged()`, run after every write to "enabled": a new thread when THP
   * is enabled again (it scans at once), a wake-up if it exists and has mms, or the end
   * of the thread when THP is disabled (its pass is abandoned and the cursor goes back
   * to the list head, freeing the slot under it if that mm has exited).
   */
  startStop(): void {
    if (hugepagePmdEnabled(this.k.tunables)) {
      if (!this.#running) {
        this.#running = true;
        this.#wakeAt(this.#earliest());
      } else if (this.slots.length > 0) {
        this.#wakeUp();
      }
      return;
    }
    if (!this.#running) return;
    this.#running = false;
    this.#gen++;
    this.#sleep = null;
    const mm = this.cursor.mm;
    this.cursor = { mm: null, address: 0 };
    if (mm && mm.users === 0) this.#remove(mm);
  }

  /**
   * A write to scan_sleep_millisecs or alloc_sleep_millisecs: the kernel resets the
   * sleep expiry and wakes the thread, so the current sleep ends now.
   */
  sleepTunableWritten(): void {
    this.#wakeUp(true);
  }

  /**
   * `wake_up_interruptible(&khugepaged_wait)`: ends the allocation back-off and the
   * untimed wait for work, but not the timed scan sleep (its condition is the expiry)
   * unless `expired`: a sleep tunable write has reset that expiry.
   */
  #wakeUp(expired = false): void {
    if (!this.#running || (this.#sleep?.kind === "scan" && !expired)) return;
    if (this.#sleep === null && this.slots.length === 0) return;
    // Only the allocation back-off has a pass to resume; a scan sleep has none.
    this.#wakeAt(this.#earliest(), this.#sleep?.pass, this.#sleep?.kind ?? "scan");
  }

  /** The earliest a wake-up can start: now, or when the work in progress ends. */
  #earliest(): number {
    return Math.max(this.k.now, this.#busyUntil);
  }

  #remove(mm: Mm): void {
    const i = this.slots.indexOf(mm);
    if (i >= 0) this.slots.splice(i, 1);
    mm.registered = false;
  }

  /** Replace the pending wake-up by one at `at`, resuming `pass` if given. */
  #wakeAt(at: number, pass?: Pass, kind: "scan" | "alloc" = "scan"): void {
    const gen = ++this.#gen;
    this.#sleep = { kind, pass };
    this.k.clock.schedule(at, () => {
      if (gen !== this.#gen) return;
      this.#sleep = null;
      this.#run(pass);
    });
  }

  #run(resume?: Pass): void {
    if (!resume) this.wakeups++;
    const kh = this.k.tunables.khugepaged;
    const start = this.k.now;
    const pass = resume ??
      { budget: kh.pages_to_scan, progress: 0, passThroughHead: 0, wait: true, elapsed: 0, began: start };
    const sleepAfterAllocFail = this.#doScan(pass, start);
    this.#busyUntil = start + pass.elapsed;
    if (sleepAfterAllocFail) {
      this.#wakeAt(this.#busyUntil + kh.alloc_sleep_millisecs * NS_PER_MS, { ...pass, elapsed: 0 }, "alloc");
      return;
    }
    this.onPass?.({
      start: pass.began, end: this.#busyUntil, progress: pass.progress, passThroughHead: pass.passThroughHead,
      allocSlept: !pass.wait,
    });
    // With no work the thread waits until enter() finds the list empty and wakes it.
    if (this.#hasWork()) this.#wakeAt(this.#busyUntil + kh.scan_sleep_millisecs * NS_PER_MS);
    else this.#sleep = null;
  }

  /** `khugepaged_do_scan()`; returns true when the pass must sleep alloc_sleep_millisecs and go on. */
  #doScan(pass: Pass, start: number): boolean {
    for (;;) {
      if (this.cursor.mm === null) pass.passThroughHead++;
      let result: number = S.FAIL;
      // A pass crosses the list head at most once, so it cannot loop over idle mms.
      if (this.#hasWork() && pass.passThroughHead < 2) result = this.#scanMmSlot(pass, start);
      else pass.progress = pass.budget;
      if (pass.progress >= pass.budget) return false;
      if (result === S.ALLOC_HUGE_PAGE_FAIL) {
        if (!pass.wait) return false;
        pass.wait = false;
        return true;
      }
    }
  }

  #cc(ts: number): CollapseControl {
    return { isKhugepaged: true, comm: "khugepaged", pid: KHUGEPAGED_PID, cpu: KHUGEPAGED_CPU, ts };
  }

  /** `khugepaged_scan_mm_slot()` for the cursor's mm; returns the last PMD's result. */
  #scanMmSlot(pass: Pass, start: number): number {
    const k = this.k;
    if (this.cursor.mm === null) this.cursor = { mm: this.slots[0], address: 0 };
    const mm = this.cursor.mm!;
    const before = pass.progress;
    let result: number = S.FAIL;
    pass.progress++;
    pass.elapsed += SCAN_NS_PER_VISIT;
    let finished = true;
    if (mm.users > 0 && !mm.thpDisabled) {
      scan: for (const vma of mm.vmas.slice()) {
        if (vma.end <= this.cursor.address) continue;
        if (!thpVmaAllowable(k.tunables, mm, vma, "khugepaged")) {
          pass.progress++;
          continue;
        }
        const hstart = vmaHstart(vma), hend = vmaHend(vma);
        if (this.cursor.address > hend) {
          pass.progress++;
          continue;
        }
        if (this.cursor.address < hstart) this.cursor.address = hstart;
        let batch = FIRST_BATCH;
        while (this.cursor.address < hend) {
          const outcome = this.#scanBatch(mm, vma.flags, hend, batch, pass, start);
          result = outcome.result;
          if (outcome.lockDropped) {
            this.#traceScan(mm, pass, before, start);
            return result;
          }
          if (pass.progress >= pass.budget) {
            finished = false;
            break scan;
          }
          batch = Math.min(batch * 2, RING_RECORDS);
        }
      }
    }
    if (finished) this.#endOfMm(mm);
    this.#traceScan(mm, pass, before, start);
    return result;
  }

  /** Scan up to `batch` PMDs in one core call and consume their records in order. */
  #scanBatch(
    mm: Mm, vmaFlags: number, hend: number, batch: number, pass: Pass, start: number,
  ): { result: number; lockDropped: boolean } {
    const k = this.k;
    const kh = k.tunables.khugepaged;
    const pmdNo = pmdOf(this.cursor.address);
    const count = Math.min(batch, pmdOf(hend) - pmdNo, Math.max(1, pass.budget - pass.progress));
    const cc = this.#cc(start);
    k.scanCore.scanPmds(mm.pt.dir, pmdNo - mm.pt.basePmd, count, pmdNo, kh.max_ptes_none, kh.max_ptes_swap,
      kh.max_ptes_shared, vmaFlags, scanFlags(k, cc), k.ring);
    let result: number = S.FAIL;
    for (let r = 0; r < count; r++) {
      const rec = readRecord(k.core.u32, k.ring + r * RECORD.BYTES);
      countScanResult(k, rec.result);
      pass.elapsed += rec.ptesExamined === 0 ? SCAN_NS_PER_VISIT : rec.ptesExamined * SCAN_NS_PER_PTE;
      cc.ts = start + pass.elapsed;
      result = rec.result;
      let lockDropped = false;
      if (result === S.SUCCEED) {
        // collapse_huge_page() drops mmap_lock: this mm call ends after this PMD.
        lockDropped = true;
        result = collapseHugePage(k, mm, rec.address, rec.referenced, rec.unmapped, cc);
        pass.elapsed += COLLAPSE_NS;
        if (result === S.SUCCEED) this.pagesCollapsed++;
        this.onCollapse?.({ ts: cc.ts, mm, address: rec.address, result });
      }
      this.scanResults[result]++;
      this.onScanPmd?.(mm, rec.address, result);
      traceScanPmd(k, cc, mm, rec, result);
      this.cursor.address += PMD_SIZE;
      pass.progress += k.variant.pmdCharge(rec);
      if (lockDropped || pass.progress >= pass.budget) return { result, lockDropped };
    }
    return { result, lockDropped: false };
  }

  /** The cursor leaves `mm`: next slot, a full scan at the list's end, free an exited mm. */
  #endOfMm(mm: Mm): void {
    const i = this.slots.indexOf(mm);
    const next = this.slots[i + 1] ?? null;
    if (next === null) this.fullScans++;
    this.cursor = { mm: next, address: 0 };
    // collect_mm_slot(): only an exited mm leaves the list; idle ones are rescanned forever.
    if (mm.users === 0) this.#remove(mm);
  }

  #traceScan(mm: Mm, pass: Pass, before: number, start: number): void {
    if (!this.k.variant.scanTraceEvent) return;
    this.k.tracer.emit({
      ts: start + pass.elapsed, comm: "khugepaged", pid: KHUGEPAGED_PID, cpu: KHUGEPAGED_CPU, event: "mm_khugepaged_scan",
      fields: [["mm", hashedPointer(mm.id)], ["progress", pass.progress - before], ["full_scan_finished", this.cursor.mm === null]],
    });
  }
}

/** Bump the vmstat counter a scan result carries, if any. */
export function countScanResult(k: Kernel, result: number): void {
  if (result === S.EXCEED_NONE_PTE) k.vmstat.thp_scan_exceed_none_pte++;
  else if (result === S.EXCEED_SWAP_PTE) k.vmstat.thp_scan_exceed_swap_pte++;
  else if (result === S.EXCEED_SHARED_PTE) k.vmstat.thp_scan_exceed_share_pte++;
}

/** `trace_mm_khugepaged_scan_pmd` with the final status (after any collapse). */
export function traceScanPmd(k: Kernel, cc: CollapseControl, mm: Mm, rec: ScanRecord, result: number): void {
  // A disabled tracepoint costs nothing: do not build an event per PMD only to drop it.
  if (!k.tracer.enabled) return;
  k.tracer.emit({
    ts: cc.ts, comm: cc.comm, pid: cc.pid, cpu: cc.cpu, event: "mm_khugepaged_scan_pmd",
    fields: [
      ["mm", hashedPointer(mm.id)], ["scan_pfn", rec.pfn], ["referenced", rec.referenced],
      ["none_or_zero", rec.noneOrZero], ["status", k.variant.traceString(result)], ["unmapped", rec.unmapped],
    ],
  });
}
