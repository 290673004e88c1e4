/**
 * The khugepaged thread: the mm_slot list in registration order, the scan cursor,
 * wake-ups every `scan_sleep_millisecs`, a budget of `pages_to_scan` per pass charged
 * as the kernel variant says, `full_scans`, `pages_collapsed`, and the
 * `alloc_sleep_millisecs` back-off after a failed huge allocation.
 */
import { SCAN_RESULTS, ScanResult } from "../core/scan_result.ts";
import { hashedPointer } from "../kernel/trace.ts";
import type { ClockedKernel } from "./clocked_kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { thpVmaAllowable } from "../mm/thp_policy.ts";
import { hugepageEnabled } from "../kernel/thp_sizes.ts";
import { vmaHend, vmaHstart } from "../mm/vma.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { msecsToJiffies } from "../kernel/jiffies.ts";
import { timeoutEndNs } from "../kernel/timer_wheel.ts";
import { EventStream } from "../kernel/event_stream.ts";
import type { KhugepagedEvent } from "./events.ts";
import { type PmdStepSink, ScanBatches } from "./scan_batches.ts";
import { slotWalk, WALK_END, walkMmSlot } from "./scan_mm_slot.ts";

const S = ScanResult;
/** khugepaged's pid and CPU in traces. */
const KHUGEPAGED_PID = 57;
const KHUGEPAGED_CPU = 1;

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
  /** The simulated time at which the pass has done `elapsed` of work since it (re)started. */
  wall: (elapsed: number) => number;
  /** Work done before an allocation sleep, PMDs scanned and collapsed, for the wake-up report. */
  cpu: number;
  pmds: number;
  collapses: number;
}

export class Khugepaged {
  readonly k: ClockedKernel;
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
  /** Every collapse attempt, every PMD's scan result and every finished pass. */
  readonly events = new EventStream<KhugepagedEvent>();
  /** What the thread sleeps in: the timed scan sleep, the allocation back-off, or nothing. */
  #sleep: { kind: "scan" | "alloc"; pass?: Pass } | null = null;
  /** Bumped to cancel the pending wake-up. */
  #gen = 0;
  /** The thread exists: `start_stop_khugepaged()` stops it while THP is disabled. */
  #running = true;
  /** Simulated time the last piece of work ends; a wake-up cannot start before it. */
  #busyUntil = 0;

  /** What each PMD step tells the thread: its counters and the collapse observer. */
  readonly #pmdSink: PmdStepSink = {
    collapsed: (e) => this.events.emit(e),
    decided: (result, mm, address) => {
      // khugepaged_scan_mm_slot() counts a PMD whose scan ended in SUCCEED (a collapse, or
      // under mTHP collapse any window of it collapsed), once per PMD.
      if (result === S.SUCCEED) this.pagesCollapsed++;
      this.scanResults[result]++;
      this.events.emit({ type: "scan_pmd", mm, address, result });
    },
  };

  constructor(k: ClockedKernel) {
    this.k = k;
  }

  /** Whether THP settings give the thread work: `hugepage_pmd_enabled()` or, with mTHP collapse, `hugepage_enabled()`. */
  #enabled(): boolean {
    return hugepageEnabled(this.k.tunables, this.k.variant.mthpCollapse);
  }

  #hasWork(): boolean {
    return this.slots.length > 0 && this.#enabled();
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
   * A sysfs write was applied: "enabled" starts or stops the thread, the two sleep
   * tunables cut the current sleep short.
   */
  tunableWritten(path: string): void {
    // Every enabled file calls start_stop_khugepaged(): the top level and each size.
    if (path === "enabled" || /^hugepages-[0-9]+kB\/enabled$/.test(path)) this.#startStop();
    else if (path === "khugepaged/scan_sleep_millisecs" || path === "khugepaged/alloc_sleep_millisecs") {
      this.#sleepTunableWritten();
    }
  }

  /**
   * `start_stop_khugepaged()`, run after every write to "enabled": a new thread when THP
   * is enabled again (it scans at once), a wake-up if it exists and has mms, or the end
   * of the thread when THP is disabled (its pass is abandoned and the cursor goes back
   * to the list head, freeing the slot under it if that mm has exited).
   */
  #startStop(): void {
    if (this.#enabled()) {
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
  #sleepTunableWritten(): void {
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
    // Its work runs on a CPU it may share: the scheduler says when each part of it is done.
    const wall = this.k.khugepagedCpu.wall(start);
    const pass: Pass = resume ? { ...resume, wall } : {
      budget: kh.pages_to_scan, progress: 0, passThroughHead: 0, wait: true, elapsed: 0, began: start, wall, cpu: 0, pmds: 0,
      collapses: 0,
    };
    const sleepAfterAllocFail = this.#doScan(pass, start);
    this.#busyUntil = pass.wall(pass.elapsed);
    pass.cpu += pass.elapsed;
    if (sleepAfterAllocFail) {
      this.#wakeAt(this.#sleepEnd(kh.alloc_sleep_millisecs), { ...pass, elapsed: 0 }, "alloc");
      return;
    }
    this.events.emit({
      type: "pass", start: pass.began, end: this.#busyUntil, progress: pass.progress, passThroughHead: pass.passThroughHead,
      allocSlept: !pass.wait, cpu: pass.cpu, pmds: pass.pmds, collapses: pass.collapses, mm: this.cursor.mm,
    });
    // With no work the thread waits until enter() finds the list empty and wakes it.
    if (this.#hasWork()) this.#wakeAt(kh.scan_sleep_millisecs === 0 ? this.#busyUntil : this.#sleepEnd(kh.scan_sleep_millisecs));
    else this.#sleep = null;
  }

  /** `schedule_timeout(msecs_to_jiffies(ms))` from the end of the work: a tick of the timer wheel's grid. */
  #sleepEnd(ms: number): number {
    return timeoutEndNs(this.k.jiffies, this.#busyUntil, msecsToJiffies(ms, this.k.jiffies.hz));
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
    const w = slotWalk(this.cursor.address, pass.progress + 1, pass.budget);
    pass.elapsed += k.costs.visitNs;
    let end: number = WALK_END.MM;
    if (mm.users > 0 && !mm.thpDisabled) {
      const vmas = mm.vmas.slice();
      const slots = vmas.map((v) => ({ end: v.end, hstart: vmaHstart(v), hend: vmaHend(v) }));
      const batches = new ScanBatches(k, mm, this.#cc(start), w, pass, this.#pmdSink);
      end = walkMmSlot(slots, (i) => thpVmaAllowable(k.tunables, mm, vmas[i], "khugepaged", k.variant.mthpCollapse), w, k.variant.pmdCharge,
        (i, address, hend) => batches.pmd(i, vmas[i].flags, address, hend));
    }
    pass.progress = w.progress;
    this.cursor.address = w.address;
    if (end === WALK_END.MM) this.#endOfMm(mm);
    this.#traceScan(mm, pass, before);
    return w.result;
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

  #traceScan(mm: Mm, pass: Pass, before: number): void {
    if (!this.k.variant.scanTraceEvent) return;
    this.k.tracer.emit({
      ts: pass.wall(pass.elapsed), comm: "khugepaged", pid: KHUGEPAGED_PID, cpu: KHUGEPAGED_CPU, event: "mm_khugepaged_scan",
      fields: [["mm", hashedPointer(mm.id)], ["progress", pass.progress - before], ["full_scan_finished", this.cursor.mm === null]],
    });
  }
}
