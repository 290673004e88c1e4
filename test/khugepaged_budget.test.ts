/**
 * khugepaged's budget (`pages_to_scan`), its wake-ups on the simulated clock, full
 * scans, `pass_through_head`, the allocation back-off and exited mms, against timelines
 * worked out by hand from mm/khugepaged.c (khugepaged_do_scan, *_scan_mm_slot,
 * khugepaged_wait_work) and the simulated costs of host/khugepaged/costs.ts.
 */
import { describe, expect, test } from "vitest";
import type { PassEvent } from "../host/khugepaged/events.ts";
import { COLLAPSE_NS, SCAN_NS_PER_PTE, SCAN_NS_PER_VISIT } from "../host/khugepaged/costs.ts";
import { hashedPointer } from "../host/kernel/trace.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { exitMm } from "../host/mm/process.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { NS_PER_MS, NS_PER_S } from "../host/kernel/event_queue.ts";
import { advance, boot, CORES, type CoreKind, events, hotTask, hugeIn } from "./khugepaged_fixture.ts";

const SLEEP = 10 * NS_PER_S; // scan_sleep_millisecs default
const ALLOC_SLEEP = 60 * NS_PER_S; // alloc_sleep_millisecs default
/** Simulated time of one PMD that is scanned in full and collapsed: visit the mm (the call
 * is re-entered after every collapse), examine 512 PTEs, collapse. */
const COLLAPSE_CALL = SCAN_NS_PER_VISIT + 512 * SCAN_NS_PER_PTE + COLLAPSE_NS; // 100 + 1024 + 250 000 = 251 124 ns
/** A PMD scanned in full without a collapse (lack_referenced_page). */
const FULL_LOOP = 512 * SCAN_NS_PER_PTE; // 1024 ns
/** A PMD decided by its entry (no_pte_table, page_pmd_mapped). */
const PMD_LEVEL = SCAN_NS_PER_VISIT; // 100 ns
/** A PMD abandoned at PTE 0 (page_lazyfree at the first PTE). */
const FIRST_PTE = SCAN_NS_PER_PTE; // 2 ns

interface Recorder {
  passes: PassEvent[];
  /** Per pass, runs of scan_pmd events: "A 8×succeeded". */
  runs(): string[][];
}

function record(k: KhugepagedKernel, names: Record<string, Mm>): Recorder {
  const passes: PassEvent[] = [];
  k.khugepaged.events.on("pass", (e) => passes.push(e));
  const byPtr = new Map(Object.entries(names).map(([n, mm]) => [hashedPointer(mm.id), n]));
  return {
    passes,
    runs: () => passes.map((p) => {
      const out: string[] = [];
      let last = "", n = 0;
      for (const e of events(k, "mm_khugepaged_scan_pmd")) {
        if (e.comm !== "khugepaged" || (e.ts as number) < p.start || (e.ts as number) > p.end) continue;
        const key = `${byPtr.get(String(e.mm))} ${"×"}${e.status}`;
        if (key === last) { n++; continue; }
        if (n) out.push(last.replace("×", `${n}×`));
        last = key; n = 1;
      }
      if (n) out.push(last.replace("×", `${n}×`));
      return out;
    }),
  };
}

/** The progress of each mm_khugepaged_scan event (one per scan_mm_slot call) of a pass. */
function scanProgress(k: KhugepagedKernel, p: PassEvent): number[] {
  return events(k, "mm_khugepaged_scan")
    .filter((e) => (e.ts as number) >= p.start && (e.ts as number) <= p.end).map((e) => e.progress as number);
}

/** Wake-up times: the first at the registration (t = 0), each next one SLEEP after a pass ends. */
function wakeups(durations: readonly number[]): number[] {
  const out = [0];
  for (const d of durations.slice(0, -1)) out.push(out[out.length - 1] + d + SLEEP);
  return out;
}

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  /** Three tasks of 128 MiB (64 PMDs each), registered in the order A, B, C at t = 0; B is given back with MADV_FREE. */
  async function threeTasks(variant: string) {
    const k = await boot(core, { variant, sysfs: { enabled: "madvise" } });
    const a = hotTask(k, "A", 64), b = hotTask(k, "B", 64), c = hotTask(k, "C", 64);
    madvise(k, b.mm, b.start, 64 * PMD_SIZE, "MADV_FREE");
    return { k, a, b, c, rec: record(k, { A: a.mm, B: b.mm, C: c.mm }) };
  }

  test("baseline: 8 PMDs per wake-up (1 + 8 × 512 > 4096), so C starts at wake-up 17", async () => {
    const { k, a, c, rec } = await threeTasks("baseline");
    advance(k, 24 * 10_000);
    // Progress per pass: each collapse drops mmap_lock and ends the call, so the next
    // PMD costs 1 (re-entering the mm) + 512. After 7 PMDs 7 × 513 = 3591 < 4096, after 8
    // 4104 >= 4096: the pass stops. B's PMDs are not collapsed (MADV_FREE left them old:
    // lack_referenced_page) and do not drop the lock: 1 + 8 × 512 = 4097.
    const expected = [
      ...Array(8).fill(["A 8×succeeded"]),
      ...Array(8).fill(["B 8×lack_referenced_page"]),
      ...Array(8).fill(["C 8×succeeded"]),
    ];
    expect(rec.runs()).toEqual(expected);
    expect(rec.passes.map((p) => p.progress)).toEqual([
      ...Array(8).fill(8 * 513),
      1 + 1 + 8 * 512, // A's last visit finds its VMA behind the cursor, then B
      ...Array(7).fill(1 + 8 * 512),
      1 + 1 + 512 + 7 * 513, // B's last visit, then C
      ...Array(7).fill(8 * 513),
    ]);
    const durations = [
      ...Array(8).fill(8 * COLLAPSE_CALL), // 2 008 992 ns
      2 * SCAN_NS_PER_VISIT + 8 * FULL_LOOP, // 8392 ns
      ...Array(7).fill(SCAN_NS_PER_VISIT + 8 * FULL_LOOP), // 8292 ns
      SCAN_NS_PER_VISIT + 8 * COLLAPSE_CALL, // 2 009 092 ns
      ...Array(7).fill(8 * COLLAPSE_CALL),
    ];
    expect(rec.passes.map((p) => p.start)).toEqual(wakeups(durations));
    expect(rec.passes.map((p) => p.end - p.start)).toEqual(durations);
    expect(hugeIn(a.mm, a.start, 64 * PMD_SIZE)).toBe(64);
    expect(hugeIn(c.mm, c.start, 64 * PMD_SIZE)).toBe(64);
    expect(k.khugepaged.fullScans).toBe(0);
    expect(events(k, "mm_khugepaged_scan")).toEqual([]);
  });

  test("lazyfree-skip: B costs 1 per PMD, so C starts in wake-up 9 and is done by wake-up 16", async () => {
    const { k, c, rec } = await threeTasks("lazyfree-skip");
    advance(k, 17 * 10_000);
    // Wake-up 9: A's last visit (1), B: 1 + 64 × 1 (page_lazyfree at PTE 0 costs 1), C: 1 +
    // 512 = 579 after its first PMD, + 513 per PMD after: 579 + 6 × 513 = 3657 < 4096,
    // 579 + 7 × 513 = 4170: 8 PMDs of C. Wake-up 17: C's last visit ends the round (a full
    // scan); the pass crosses the head once and runs one whole round at 1 per PMD.
    expect(rec.runs()).toEqual([
      ...Array(8).fill(["A 8×succeeded"]),
      ["B 64×page_lazyfree", "C 8×succeeded"],
      ...Array(7).fill(["C 8×succeeded"]),
      ["A 64×page_pmd_mapped", "B 64×page_lazyfree", "C 64×page_pmd_mapped"],
    ]);
    expect(rec.passes.map((p) => p.progress)).toEqual([
      ...Array(8).fill(8 * 513),
      1 + (1 + 64) + 512 + 1 + 7 * 513,
      ...Array(7).fill(8 * 513),
      // Crossing the head a second time sets progress to pages_to_scan: the pass is over.
      4096,
    ]);
    // What the calls of wake-up 17 charged: C's last visit, then A, B, C at 1 per PMD.
    expect(scanProgress(k, rec.passes[16])).toEqual([1, 1 + 64, 1 + 64, 1 + 64]);
    expect(rec.passes[16].passThroughHead).toBe(2);
    const durations = [
      ...Array(8).fill(8 * COLLAPSE_CALL),
      SCAN_NS_PER_VISIT + (SCAN_NS_PER_VISIT + 64 * FIRST_PTE) + 8 * COLLAPSE_CALL, // 2 009 320 ns
      ...Array(7).fill(8 * COLLAPSE_CALL),
      SCAN_NS_PER_VISIT + 2 * (SCAN_NS_PER_VISIT + 64 * PMD_LEVEL) + (SCAN_NS_PER_VISIT + 64 * FIRST_PTE), // 13 328 ns
    ];
    expect(rec.passes.map((p) => p.start)).toEqual(wakeups(durations));
    expect(rec.passes.map((p) => p.end - p.start)).toEqual(durations);
    expect(hugeIn(c.mm, c.start, 64 * PMD_SIZE)).toBe(64);
    expect(k.khugepaged.fullScans).toBe(2);
    // mm_khugepaged_scan of wake-up 9: one per scan_mm_slot call.
    const w9 = events(k, "mm_khugepaged_scan")
      .filter((e) => (e.ts as number) >= rec.passes[8].start && (e.ts as number) <= rec.passes[8].end);
    expect(w9.map((e) => [e.progress, e.full_scan_finished])).toEqual([
      [1, false], [65, false], [513, false], ...Array(7).fill([513, false]),
    ]);
  });

  test("khugepaged_do_scan() crosses the list head at most once: a pass that starts mid-list ends after one more round", async () => {
    const k = await boot(core, { variant: "lazyfree-skip", sysfs: { enabled: "madvise" } });
    const a = hotTask(k, "A", 9);
    const b = hotTask(k, "B", 1);
    expect(madvise(k, b.mm, b.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    const rec = record(k, { A: a.mm, B: b.mm });
    advance(k, 3 * 10_000);
    expect(rec.runs()).toEqual([
      ["A 8×succeeded"],
      // Starts on A: finishes the round (one full scan), crosses the head, one more round.
      ["A 1×succeeded", "B 1×page_pmd_mapped", "A 9×page_pmd_mapped", "B 1×page_pmd_mapped"],
      // Starts at the head: one round, then the head again stops it, budget unspent.
      ["A 9×page_pmd_mapped", "B 1×page_pmd_mapped"],
    ]);
    expect(rec.passes.map((p) => [p.passThroughHead, p.progress])).toEqual([[1, 8 * 513], [2, 4096], [2, 4096]]);
    // Charged by each scan_mm_slot call (mm_khugepaged_scan), with full_scan_finished.
    expect(rec.passes.map((p) => scanProgress(k, p))).toEqual([
      Array(8).fill(513),
      [513, 1, 1 + 1, 1 + 9, 1 + 1],
      [1 + 9, 1 + 1],
    ]);
    expect(events(k, "mm_khugepaged_scan").filter((e) => e.full_scan_finished)).toHaveLength(3);
    expect(k.khugepaged.fullScans).toBe(3);
  });

  test("a failed huge allocation sleeps alloc_sleep_millisecs within the pass; a second failure ends it", async () => {
    const k = await boot(core, { variant: "baseline", sysfs: { enabled: "madvise" }, memoryBytes: 64 * PMD_SIZE, fragmentation: 1 });
    const a = hotTask(k, "A", 4);
    const rec = record(k, { A: a.mm });
    advance(k, 140_000);
    // Wake-up 1 (t = 0): PMD 0 fails (251 124 ns), sleep 60 s, the same pass goes on: PMD 1
    // fails again and the pass ends; the next wake-up is 10 s later and does the same.
    expect(rec.runs()).toEqual([["A 2×alloc_huge_page_failed"], ["A 2×alloc_huge_page_failed"]]);
    const pass = COLLAPSE_CALL + ALLOC_SLEEP + COLLAPSE_CALL;
    expect(rec.passes.map((p) => [p.start, p.end, p.allocSlept])).toEqual([
      [0, pass, true],
      [pass + SLEEP, 2 * pass + SLEEP, true],
    ]);
    expect(events(k, "mm_khugepaged_scan_pmd").map((e) => e.ts)).toEqual([
      SCAN_NS_PER_VISIT + FULL_LOOP,
      COLLAPSE_CALL + ALLOC_SLEEP + SCAN_NS_PER_VISIT + FULL_LOOP,
      pass + SLEEP + SCAN_NS_PER_VISIT + FULL_LOOP,
      pass + SLEEP + COLLAPSE_CALL + ALLOC_SLEEP + SCAN_NS_PER_VISIT + FULL_LOOP,
    ]);
    expect(k.vmstat.thp_collapse_alloc_failed).toBe(4);
    expect(k.khugepaged.wakeups).toBe(2);
  });

  test("an exited mm leaves the list at once, or, when the cursor is on it, at the cursor's next visit", async () => {
    const k = await boot(core, { variant: "lazyfree-skip", sysfs: { enabled: "madvise" } });
    const a = hotTask(k, "A", 16), b = hotTask(k, "B", 1), c = hotTask(k, "C", 1);
    const rec = record(k, { A: a.mm, B: b.mm, C: c.mm });
    advance(k, 1);
    expect(k.khugepaged.cursor.mm).toBe(a.mm);
    exitMm(k, b.mm); // not under the cursor: __khugepaged_exit() frees the slot now
    exitMm(k, a.mm); // under the cursor: stays until collect_mm_slot()
    expect(k.khugepaged.slots).toEqual([a.mm, c.mm]);
    advance(k, 11_000);
    expect(k.khugepaged.slots).toEqual([c.mm]);
    // A is collected, C collapsed; the round ends, the pass crosses the head and sees C again.
    expect(rec.runs()[1]).toEqual(["C 1×succeeded", "C 1×page_pmd_mapped"]);
    // The exiting mm is visited (1) and skipped: no PMD of it is scanned.
    const w2 = events(k, "mm_khugepaged_scan").filter((e) => (e.ts as number) >= rec.passes[1].start);
    expect(w2[0]).toMatchObject({ mm: hashedPointer(a.mm.id), progress: 1, full_scan_finished: false });
  });

  test("an empty list stops the wake-ups; the next registration wakes khugepaged at once", async () => {
    const k = await boot(core, { variant: "baseline", sysfs: { enabled: "madvise" } });
    const a = hotTask(k, "A", 1);
    const rec = record(k, {});
    advance(k, 1);
    exitMm(k, a.mm);
    advance(k, 60_000);
    // One more wake-up finds the list empty; then khugepaged waits without a timeout.
    expect(rec.passes.length).toBe(2);
    advance(k, 1000);
    const t = k.now;
    hotTask(k, "B", 1);
    advance(k, 1);
    expect(rec.passes.length).toBe(3);
    expect(rec.passes[2].start).toBe(t);
    expect(t % NS_PER_MS).toBe(0);
  });
});
