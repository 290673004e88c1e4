/**
 * The huge zero page (mm/huge_memory.c do_huge_pmd_anonymous_page, do_huge_pmd_wp_page).
 * Checked on Linux 6.18 with MADV_HUGEPAGE and use_zero_page=1: reading 4 MiB maps the
 * huge zero page (AnonHugePages 0 kB, Rss 0 kB, thp_fault_alloc +0, thp_zero_page_alloc
 * +1 on its first use, kpageflags ZERO_PAGE and THP); one write then maps a THP
 * (AnonHugePages 2048 kB, thp_fault_alloc +1, thp_split_pmd +0).
 */
import { describe, expect, test } from "vitest";
import { mmap, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import { pmdOf } from "../host/mm/mm.ts";
import { fork } from "../host/mm/process.ts";
import { anonHugePagesKb } from "../host/mm/smaps.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, events, hugeIn, pteAt } from "./khugepaged_fixture.ts";

/** A task with `pmds` × 2 MiB of MADV_HUGEPAGE memory, read page by page (enabled=madvise). */
async function readTask(o: { useZeroPage: number; memoryBytes?: number; fragmentation?: number; pmds?: number }) {
  const k = await boot(CORES[0], {
    memoryBytes: o.memoryBytes, fragmentation: o.fragmentation,
    sysfs: { enabled: "madvise", use_zero_page: o.useZeroPage, "khugepaged/scan_sleep_millisecs": 10 },
  });
  const mm = k.createMm("t");
  const len = (o.pmds ?? 2) * PMD_SIZE;
  const start = mmap(k, mm, { len, align: PMD_SIZE }).start;
  madvise(k, mm, start, len, "MADV_HUGEPAGE");
  touch(k, mm, start, len, false);
  return { k, mm, start, len };
}

describe("the huge zero page (use_zero_page=1)", () => {
  test("a read fault maps the huge zero page: no AnonHugePages, no thp_fault_alloc, one thp_zero_page_alloc", async () => {
    const { k, mm, start, len } = await readTask({ useZeroPage: 1 });
    expect(anonHugePagesKb(mm)).toBe(0);
    expect(k.vmstat.thp_fault_alloc).toBe(0);
    expect(k.vmstat.thp_zero_page_alloc).toBe(1);
    expect(hugeIn(mm, start, len)).toBe(0);
    expect(mm.pt.table(pmdOf(start))).toBe(0);
  });

  test("khugepaged finds the huge zero PMD mapped (SCAN_PMD_MAPPED) and collapses nothing", async () => {
    const { k, mm, start, len } = await readTask({ useZeroPage: 1 });
    advance(k, 50);
    const statuses = new Set(events(k, "mm_khugepaged_scan_pmd").map((e) => e.status));
    expect(statuses).toEqual(new Set(["page_pmd_mapped"]));
    expect(k.vmstat.thp_collapse_alloc).toBe(0);
    expect(hugeIn(mm, start, len)).toBe(0);
  });

  test("a write fault on the huge zero PMD maps a THP in its place (do_huge_zero_wp_pmd)", async () => {
    const { k, mm, start } = await readTask({ useZeroPage: 1 });
    touch(k, mm, start + PAGE_SIZE, 1, true);
    expect(anonHugePagesKb(mm)).toBe(2048);
    expect(k.vmstat.thp_fault_alloc).toBe(1);
    expect(k.vmstat.thp_split_pmd).toBe(0);
    expect(mm.huge.get(pmdOf(start))).toMatchObject({ dirty: true, swapbacked: true });
  });

  test("a write fault that cannot allocate a THP splits the huge zero PMD into zero-page PTEs", async () => {
    // Every free 2 MiB block taken: the write cannot have a THP.
    const { k, mm, start } = await readTask({ useZeroPage: 1, memoryBytes: 8 * PMD_SIZE, pmds: 1 });
    while (k.phys.freeHugeBlocks > 0) k.phys.allocHuge();
    touch(k, mm, start + PAGE_SIZE, 1, true);
    expect(k.vmstat.thp_fault_fallback).toBe(1);
    expect(k.vmstat.thp_split_pmd).toBe(1);
    expect(anonHugePagesKb(mm)).toBe(0);
    expect(pteAt(mm, start)).toMatchObject({ present: true, zero: true });
    expect(pteAt(mm, start + PAGE_SIZE)).toMatchObject({ present: true, zero: false, dirty: true, anon: true });
  });

  test("the huge zero page is allocated once for every mapping of it, fork included", async () => {
    const { k, mm, start } = await readTask({ useZeroPage: 1 });
    const child = fork(k, mm, "child");
    touch(k, child, start, PMD_SIZE, false);
    expect(k.vmstat.thp_zero_page_alloc).toBe(1);
    expect(child.pt.entry(pmdOf(start))).toBe(mm.pt.entry(pmdOf(start)));
  });

  test("MADV_DONTNEED of the whole PMD unmaps the huge zero page; of part of it splits it first", async () => {
    const { k, mm, start } = await readTask({ useZeroPage: 1 });
    madvise(k, mm, start, PMD_SIZE, "MADV_DONTNEED");
    expect(mm.pt.entry(pmdOf(start))).toBe(0);
    madvise(k, mm, start + PMD_SIZE, PAGE_SIZE, "MADV_DONTNEED");
    expect(pteAt(mm, start + PMD_SIZE)).toMatchObject({ present: false });
    expect(pteAt(mm, start + PMD_SIZE + PAGE_SIZE)).toMatchObject({ present: true, zero: true });
  });

  test("with use_zero_page=0 a read fault allocates a THP, as before", async () => {
    const { k, mm } = await readTask({ useZeroPage: 0 });
    expect(anonHugePagesKb(mm)).toBe(4096);
    expect(k.vmstat.thp_fault_alloc).toBe(2);
    expect(k.vmstat.thp_zero_page_alloc).toBe(0);
  });

  test("when the huge zero page cannot be allocated a read fault falls back to 4 KiB zero pages", async () => {
    const { k, mm, start } = await (async () => {
      const k = await boot(CORES[0], { memoryBytes: 4 * PMD_SIZE, sysfs: { enabled: "always", use_zero_page: 1 } });
      while (k.phys.freeHugeBlocks > 0) k.phys.allocHuge();
      const mm = k.createMm("t");
      const start = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE }).start;
      touch(k, mm, start, PMD_SIZE, false);
      return { k, mm, start };
    })();
    expect(k.vmstat.thp_zero_page_alloc_failed).toBe(1);
    expect(k.vmstat.thp_fault_fallback).toBe(1);
    expect(pteAt(mm, start)).toMatchObject({ present: true, zero: true });
  });
});
