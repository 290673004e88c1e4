/**
 * The khugepaged thread: the mm_slot list in registration order, the scan cursor,
 * wake-ups every `scan_sleep_millisecs`, a budget of `pages_to_scan` per pass charged
 * as the kernel variant says, `full_scans`, `pages_collapsed`, and the
 * `alloc_sleep_millisecs` back-off after a failed huge allocation.
 */
import { SCAN_RESULTS, ScanResult } from "../core/scan_result.ts";
import { NS_PER_MS } from "../kernel/event_queue.ts";
import { hashedPointer } from "../kernel/trace.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { hugepagePmdEnabled, thpVmaAllowable } from "../mm/thp_policy.ts";
import { vmaHend, vmaHstart } from "../mm/vma.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { SCAN_NS_PER_VISIT } from "./costs.ts";
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
  /** Every collapse attempt and every finished pass. */
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
    collapsed: (e) => {
      if (e.result === S.SUCCEED) this.pagesCollapsed++;
      this.events.emit(e);
    },
    decided: (result) => this.scanResults[result]++,
  };

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
   * A sysfs write was applied: "enabled" starts or stops the thread, the two sleep
   * tunables cut the current sleep short.
   */
  tunableWritten(path: string): void {
    if (path === "enabled") this.startStop();
    else if (path === "khugepaged/scan_sleep_millisecs" || path === "khugepaged/alloc_sleep_millisecs") {
      this.sleepTunableWritten();
    }
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
    this.events.emit({
      type: "pass", start: pass.began, end: this.#busyUntil, progress: pass.progress, passThroughHead: pass.passThroughHead,
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
    const w = slotWalk(this.cursor.address, pass.progress + 1, pass.budget);
    pass.elapsed += SCAN_NS_PER_VISIT;
    let end: number = WALK_END.MM;
    if (mm.users > 0 && !mm.thpDisabled) {
      const vmas = mm.vmas.slice();
      const slots = vmas.map((v) => ({ end: v.end, hstart: vmaHstart(v), hend: vmaHend(v) }));
      const batches = new ScanBatches(k, mm, this.#cc(start), w, pass, this.#pmdSink);
      end = walkMmSlot(slots, (i) => thpVmaAllowable(k.tunables, mm, vmas[i], "khugepaged"), w, k.variant.pmdCharge,
        (i, address, hend) => batches.pmd(i, vmas[i].flags, address, hend));
    }
    pass.progress = w.progress;
    this.cursor.address = w.address;
    if (end === WALK_END.MM) this.#endOfMm(mm);
    this.#traceScan(mm, pass, before, start);
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

  #traceScan(mm: Mm, pass: Pass, before: number, start: number): void {
    if (!this.k.variant.scanTraceEvent) return;
    this.k.tracer.emit({
      ts: start + pass.elapsed, comm: "khugepaged", pid: KHUGEPAGED_PID, cpu: KHUGEPAGED_CPU, event: "mm_khugepaged_scan",
      fields: [["mm", hashedPointer(mm.id)], ["progress", pass.progress - before], ["full_scan_finished", this.cursor.mm === null]],
    });
  }
}
