/**
 * MADV_FREE on memory another mm maps after fork (mm/madvise.c madvise_free_huge_pmd and
 * madvise_free_pte_range). Checked on Linux 6.18: a child's MADV_FREE of 4 MiB of 4 KiB
 * pages its parent wrote and shared by fork raises pglazyfree by the region's pages
 * (the folios are not PG_dirty), the same over PMD-mapped THPs raises nothing.
 */
import { describe, expect, test } from "vitest";
import { mmap } from "../host/mm/fault.ts";
import type { Kernel } from "../host/mm/kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { type Mm, pmdOf } from "../host/mm/mm.ts";
import { fork } from "../host/mm/process.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { boot, CORES, hotTask, pteAt } from "./khugepaged_fixture.ts";

/** A parent with one PMD-mapped THP it wrote (enabled=always), and its forked child. */
async function forkedThp(): Promise<{ k: Kernel; parent: Mm; child: Mm; start: number }> {
  const k = await boot(CORES[0], { sysfs: { enabled: "always" } });
  const parent = k.createMm("parent");
  const start = mmap(k, parent, { len: PMD_SIZE, align: PMD_SIZE, populate: true }).start;
  expect(parent.huge.has(pmdOf(start))).toBe(true);
  return { k, parent, child: fork(k, parent, "child"), start };
}

describe("madvise(MADV_FREE) of a folio shared after fork", () => {
  test("a small folio not PG_dirty turns lazy-free for every mm that maps it, counted once per page", async () => {
    const k = await boot(CORES[0], { sysfs: { enabled: "madvise" } });
    const { mm: parent, start } = hotTask(k, "parent", 1);
    const child = fork(k, parent, "child");
    madvise(k, child, start, PMD_SIZE, "MADV_FREE");
    expect(k.vmstat.pglazyfree).toBe(512);
    expect(pteAt(child, start)).toMatchObject({ swapbacked: false, dirty: false, mapcount: 2 });
    // The folio's state is the folio's: the parent's PTE of it says lazy-free too, and
    // the parent's dirty PTE still protects the data.
    expect(pteAt(parent, start)).toMatchObject({ swapbacked: false, dirty: true, mapcount: 2 });
  });

  test("a PMD-mapped THP another mm maps is left alone, whole or in part, and not split", async () => {
    const { k, child, start } = await forkedThp();
    const pmd = pmdOf(start);
    madvise(k, child, pmd * PMD_SIZE + PMD_SIZE / 2, PMD_SIZE / 2, "MADV_FREE");
    madvise(k, child, pmd * PMD_SIZE, PMD_SIZE, "MADV_FREE");
    expect(k.vmstat.pglazyfree).toBe(0);
    expect(k.vmstat.thp_split_pmd).toBe(0);
    expect(child.huge.get(pmd)?.swapbacked).toBe(true);
  });

  test("a PG_dirty large folio mapped by PTEs in two mms is left alone (folio_mapcount != folio_nr_pages)", async () => {
    const { k, parent, child, start } = await forkedThp();
    // A VMA split through the THP splits the child's PMD; the dirty PMD makes the folio PG_dirty.
    madvise(k, child, start, PMD_SIZE / 2, "MADV_NOHUGEPAGE");
    expect(parent.huge.has(pmdOf(start))).toBe(true);
    const before = pteAt(child, start + 8 * PAGE_SIZE);
    expect(before).toMatchObject({ order: 9, mapcount: 2, swapbacked: true });
    madvise(k, child, start, PMD_SIZE, "MADV_FREE");
    expect(k.vmstat.pglazyfree).toBe(0);
    expect(pteAt(child, start + 8 * PAGE_SIZE)).toEqual(before);
  });
});
