/**
 * MADV_DONTNEED's page-table reclaim (CONFIG_PT_RECLAIM, x86-64 since 6.14): a zap that
 * covers a whole PMD frees the PTE table it empties, which changes what khugepaged and
 * the next fault see there; a partial zap keeps the table.
 */
import { describe, expect, test } from "vitest";
import { touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, events, hotTask, SELFTEST_SYSFS } from "./khugepaged_fixture.ts";

describe("MADV_DONTNEED and PTE tables", () => {
  test("a whole-PMD zap frees the table, a partial one keeps it", async () => {
    const k = await boot(CORES[0], { sysfs: SELFTEST_SYSFS });
    const { mm, start } = hotTask(k, "t", 2);
    const pmd = start / PMD_SIZE;
    madvise(k, mm, start, PMD_SIZE, "MADV_DONTNEED");
    madvise(k, mm, start + PMD_SIZE, PMD_SIZE - PAGE_SIZE, "MADV_DONTNEED");
    expect(mm.pt.entry(pmd)).toBe(0);
    expect(mm.pt.table(pmd + 1)).not.toBe(0);
  });

  test("the next fault in a freed PMD maps a THP; one behind a kept table maps a 4 KiB page", async () => {
    const k = await boot(CORES[0], { sysfs: SELFTEST_SYSFS });
    const { mm, start } = hotTask(k, "t", 2);
    const pmd = start / PMD_SIZE;
    madvise(k, mm, start, 2 * PMD_SIZE - PAGE_SIZE, "MADV_DONTNEED");
    const before = k.vmstat.thp_fault_alloc;
    touch(k, mm, start, PAGE_SIZE, true);
    touch(k, mm, start + PMD_SIZE, PAGE_SIZE, true);
    expect(mm.huge.has(pmd)).toBe(true);
    expect(mm.huge.has(pmd + 1)).toBe(false);
    expect(k.vmstat.thp_fault_alloc).toBe(before + 1);
  });

  test("khugepaged finds no PTE table where a whole-PMD zap freed it", async () => {
    const k = await boot(CORES[0], { sysfs: SELFTEST_SYSFS });
    const { mm, start } = hotTask(k, "t", 1);
    madvise(k, mm, start, PMD_SIZE, "MADV_DONTNEED");
    advance(k, 100);
    const scans = events(k, "mm_khugepaged_scan_pmd");
    expect(scans.length).toBeGreaterThan(0);
    // With the empty table kept, the scan would count 512 none PTEs: exceed_none_pte.
    expect(new Set(scans.map((e) => e.status))).toEqual(new Set(["pmd_none"]));
  });
});
