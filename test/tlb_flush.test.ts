/**
 * Which TLB flushes the mm model sends to the TLBs of its tasks, and when: the calls of
 * x86's flush_tlb_mm_range() and flush_tlb_mm() in madvise, collapse, split, fork, write
 * faults and exit.
 */
import { describe, expect, test } from "vitest";
import type { Kernel } from "../host/mm/kernel.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm, MmTlb } from "../host/mm/mm.ts";
import { exitMm, fork } from "../host/mm/process.ts";
import { reclaim } from "../host/mm/reclaim.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { advance, boot, type CoreKind, CORES, events, hotTask, SELFTEST_SYSFS } from "./khugepaged_fixture.ts";

/** A TLB that records what reaches it: "all" for a whole flush, else the pages invalidated. */
function recorder(mm: Mm): Array<"all" | number[]> {
  const log: Array<"all" | number[]> = [];
  const tlb: MmTlb = { reset: () => log.push("all"), invalidatePages: (pages) => log.push([...pages]) };
  mm.tlbs.add(tlb);
  return log;
}

/** A task of two PMDs of 4 KiB pages, its flush log, and its first page as the TLB numbers it. */
async function task(): Promise<{ k: Kernel; mm: Mm; start: number; log: Array<"all" | number[]>; first: number }> {
  const k = await boot(CORES[0], { sysfs: SELFTEST_SYSFS });
  const { mm, start } = hotTask(k, "t", 2);
  return { k, mm, start, log: recorder(mm), first: start / PAGE_SIZE - mm.pt.basePmd * (PMD_SIZE / PAGE_SIZE) };
}

const pages = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("TLB flushes of an mm", () => {
  test("madvise flushes 33 pages one by one and 34 as the whole mm (tlb_single_page_flush_ceiling)", async () => {
    const { k, mm, start, log, first } = await task();
    madvise(k, mm, start + PAGE_SIZE, 33 * PAGE_SIZE, "MADV_DONTNEED");
    madvise(k, mm, start + 40 * PAGE_SIZE, 34 * PAGE_SIZE, "MADV_FREE");
    expect(log).toEqual([pages(first + 1, 33), "all"]);
  });

  test("madvise flushes the span of the entries it changed, and nothing when it changed none", async () => {
    const { k, mm, start, log, first } = await task();
    madvise(k, mm, start + 10 * PAGE_SIZE, 8 * PAGE_SIZE, "MADV_DONTNEED");
    // Pages 10-17 are none now: only 18 and 19 are zapped.
    madvise(k, mm, start + 10 * PAGE_SIZE, 10 * PAGE_SIZE, "MADV_DONTNEED");
    expect(log).toEqual([pages(first + 10, 8), [first + 18, first + 19]]);
    log.length = 0;
    // Pages 5-9 and 20-24 are zapped; the none pages 10-19 between them are flushed with
    // them: the gather keeps one range.
    madvise(k, mm, start + 5 * PAGE_SIZE, 20 * PAGE_SIZE, "MADV_DONTNEED");
    expect(log).toEqual([pages(first + 5, 20)]);
  });

  test("a whole-PMD MADV_DONTNEED gathers the PTE table it frees: the PMD's first page", async () => {
    const { k, mm, start, log, first } = await task();
    madvise(k, mm, start, 256 * PAGE_SIZE, "MADV_DONTNEED");
    madvise(k, mm, start + 256 * PAGE_SIZE, 256 * PAGE_SIZE, "MADV_DONTNEED");
    expect(mm.pt.table(start / PMD_SIZE)).not.toBe(0);
    // No PTE is present any more, yet pte_free_tlb() gathers the table: one INVLPG.
    madvise(k, mm, start, PMD_SIZE, "MADV_DONTNEED");
    expect(mm.pt.entry(start / PMD_SIZE)).toBe(0);
    expect(log).toEqual(["all", "all", [first]]);
  });

  test("MADV_COLD rewrites, and flushes, young PTEs only", async () => {
    const { k, mm, start, log, first } = await task();
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_COLD");
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_COLD"); // old now, though still dirty
    expect(log).toEqual([pages(first, 4)]);
  });

  test("MADV_FREE rewrites, and flushes, young or dirty PTEs only", async () => {
    const { k, mm, start, log, first } = await task();
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_FREE");
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_FREE"); // old and clean now
    touch(k, mm, start + PAGE_SIZE, PAGE_SIZE, false); // young, clean
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_FREE");
    madvise(k, mm, start + 8 * PAGE_SIZE, 2 * PAGE_SIZE, "MADV_COLD"); // old, dirty
    madvise(k, mm, start + 8 * PAGE_SIZE, 2 * PAGE_SIZE, "MADV_FREE");
    const coldThenFree = [[first + 8, first + 9], [first + 8, first + 9]];
    expect(log).toEqual([pages(first, 4), [first + 1], ...coldThenFree]);
  });

  test("MADV_FREE and MADV_COLD flush a THP only while it is young (or, for MADV_FREE, dirty)", async () => {
    const { k, mm, start, log, first } = await task();
    expect(madvise(k, mm, start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    log.length = 0;
    madvise(k, mm, start, PMD_SIZE, "MADV_FREE");
    madvise(k, mm, start, PMD_SIZE, "MADV_FREE");
    madvise(k, mm, start, PMD_SIZE, "MADV_COLD");
    touch(k, mm, start, PAGE_SIZE, false);
    madvise(k, mm, start, PMD_SIZE, "MADV_COLD");
    expect(log).toEqual([[first], [first]]);
  });

  test("MADV_FREE flushes once over all its VMAs, MADV_COLD once per VMA", async () => {
    const { k, mm, start, log, first } = await task();
    // Two adjacent VMAs: the flag change splits the mapping at page 4.
    madvise(k, mm, start + 4 * PAGE_SIZE, 4 * PAGE_SIZE, "MADV_NOHUGEPAGE");
    expect(mm.vmasOverlapping(start, start + 8 * PAGE_SIZE)).toHaveLength(2);
    madvise(k, mm, start, 8 * PAGE_SIZE, "MADV_COLD");
    touch(k, mm, start, 8 * PAGE_SIZE, true);
    madvise(k, mm, start, 8 * PAGE_SIZE, "MADV_FREE");
    expect(log).toEqual([pages(first, 4), pages(first + 4, 4), pages(first, 8)]);
  });

  test("madvise of whole THPs flushes one translation per THP (tlb_get_unmap_shift() is PMD_SHIFT)", async () => {
    const { k, mm, start, log, first } = await task();
    for (const at of [start, start + PMD_SIZE]) expect(madvise(k, mm, at, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    log.length = 0;
    madvise(k, mm, start, 2 * PMD_SIZE, "MADV_FREE");
    madvise(k, mm, start, 2 * PMD_SIZE, "MADV_DONTNEED");
    expect(log).toEqual([[first, first + 512], [first, first + 512]]);
  });

  test("MADV_PAGEOUT flushes the whole mm once reclaim has unmapped a page of the PMD, and not otherwise", async () => {
    const { k, mm, start, log } = await task();
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_PAGEOUT");
    expect(log).toEqual(["all"]);
    expect(k.vmstat.pswpout).toBe(4);
    madvise(k, mm, start, 4 * PAGE_SIZE, "MADV_PAGEOUT"); // swapped out already: nothing to unmap
    expect(log).toEqual(["all"]);
  });

  test("reclaim flushes each mm it unmapped PTEs of, and a discarded lazy-free THP's one translation", async () => {
    const { k, mm, start, log, first } = await task();
    expect(madvise(k, mm, start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    madvise(k, mm, start, 2 * PMD_SIZE, "MADV_FREE");
    log.length = 0;
    reclaim(k, k.phys.freePages + 1024);
    // The lazy-free THP goes first (pmdp_huge_clear_flush()), then PTE-mapped pages, batched.
    expect(log).toEqual([[first], "all"]);
  });

  test("a collapse flushes the whole mm; splitting the huge PMD flushes its one translation", async () => {
    const { k, mm, start, log, first } = await task();
    expect(madvise(k, mm, start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    expect(mm.huge.size).toBe(1);
    expect(log).toEqual(["all"]);
    // DONTNEED of one page inside the THP splits it first: one INVLPG at the PMD's start.
    madvise(k, mm, start + 5 * PAGE_SIZE, PAGE_SIZE, "MADV_DONTNEED");
    expect(mm.huge.size).toBe(0);
    expect(log).toEqual(["all", [first], [first + 5]]);
  });

  test("a collapse flushes before isolation, so one that fails there has flushed all the same", async () => {
    // A scan core whose isolation sees max_ptes_none = 0: as if PTEs had gone between scan and isolation.
    const strict: CoreKind = {
      name: "strict",
      make: async (memory) => {
        const real = new TsScanCore(memory.memory);
        return {
          name: "strict",
          scanPmds: (...args) => real.scanPmds(...args),
          isolatePmd: (table, pmdNo, _none, ...rest) => real.isolatePmd(table, pmdNo, 0, ...rest),
        };
      },
    };
    const k = await boot(strict, { sysfs: SELFTEST_SYSFS });
    const { mm, start } = hotTask(k, "t", 1);
    madvise(k, mm, start, 8 * PAGE_SIZE, "MADV_DONTNEED");
    const log = recorder(mm);
    advance(k, 100);
    const statuses = events(k, "mm_collapse_huge_page_isolate").map((e) => e.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(["exceed_none_pte"]));
    expect(mm.huge.size).toBe(0);
    expect(log).toEqual(statuses.map(() => "all"));
  });

  test("fork flushes the whole parent; the child's TLBs are its own; exit flushes the whole mm", async () => {
    const { k, mm, log } = await task();
    const child = fork(k, mm, "c");
    const childLog = recorder(child);
    expect(log).toEqual(["all"]);
    madvise(k, child, child.vmas[0].start, PAGE_SIZE, "MADV_DONTNEED");
    expect(log).toEqual(["all"]);
    expect(childLog).toHaveLength(1);
    exitMm(k, child);
    expect(childLog).toHaveLength(2);
    expect(childLog[1]).toBe("all");
    expect(log).toEqual(["all"]);
  });

  test("a write that breaks COW flushes its one page; a write to a page the mm owns flushes nothing", async () => {
    const { k, mm, start, log, first } = await task();
    fork(k, mm, "c");
    touch(k, mm, start + 3 * PAGE_SIZE, 2 * PAGE_SIZE, true);
    expect(log).toEqual(["all", [first + 3], [first + 4]]);
    touch(k, mm, start + 3 * PAGE_SIZE, 2 * PAGE_SIZE, true);
    touch(k, mm, start, PMD_SIZE, false);
    expect(log).toHaveLength(3);
  });

  test("a write to a page mapped to the zero page flushes that page", async () => {
    const k = await boot(CORES[0], { sysfs: SELFTEST_SYSFS });
    const mm = k.createMm("z");
    const log = recorder(mm);
    const { start } = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    const first = start / PAGE_SIZE - mm.pt.basePmd * (PMD_SIZE / PAGE_SIZE);
    touch(k, mm, start, 4 * PAGE_SIZE, false);
    expect(log).toEqual([]);
    touch(k, mm, start + PAGE_SIZE, PAGE_SIZE, true);
    expect(log).toEqual([[first + 1]]);
  });
});
