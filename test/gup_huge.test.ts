/**
 * A long-term pin of a page of a PMD-mapped THP (mm/gup.c): the folio's extra reference
 * outlives `split_huge_pmd()`, so khugepaged cannot collapse the range it was split into
 * (SCAN_PAGE_COUNT) until the pin is dropped.
 */
import { describe, expect, test } from "vitest";
import { mmap } from "../host/mm/fault.ts";
import { pinUserPages } from "../host/mm/gup.ts";
import { madvise } from "../host/mm/madvise.ts";
import { pmdOf } from "../host/mm/mm.ts";
import { reclaim } from "../host/mm/reclaim.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, events, hugeIn } from "./khugepaged_fixture.ts";

describe("pinUserPages() on a PMD-mapped THP", () => {
  test.each(CORES.map((c) => [c.name, c] as const))("%s core: the pin survives a split and stops khugepaged", async (_n, core) => {
    const k = await boot(core, { sysfs: { enabled: "always", "khugepaged/scan_sleep_millisecs": 10 } });
    const mm = k.createMm("t");
    const start = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, populate: true }).start;
    expect(mm.huge.has(pmdOf(start))).toBe(true);
    pinUserPages(k, mm, start + 7 * PAGE_SIZE, PAGE_SIZE);
    // Zapping one page splits the PMD: 511 PTEs map the pinned folio.
    madvise(k, mm, start, PAGE_SIZE, "MADV_DONTNEED");
    expect(mm.huge.has(pmdOf(start))).toBe(false);
    advance(k, 100);
    expect(hugeIn(mm, start, PMD_SIZE)).toBe(0);
    expect(new Set(events(k, "mm_khugepaged_scan_pmd").map((e) => e.status))).toEqual(new Set(["not_suitable_page_count"]));
    pinUserPages(k, mm, start + 7 * PAGE_SIZE, PAGE_SIZE, true);
    advance(k, 100);
    expect(hugeIn(mm, start, PMD_SIZE)).toBe(1);
  });
});

describe("reclaim of a pinned lazy-free THP", () => {
  test("__discard_anon_folio_pmd_locked() keeps a THP with a pin its mappings do not explain", async () => {
    const k = await boot(CORES[0], { sysfs: { enabled: "always" } });
    const mm = k.createMm("t");
    const start = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, populate: true }).start;
    pinUserPages(k, mm, start, PAGE_SIZE);
    madvise(k, mm, start, PMD_SIZE, "MADV_FREE");
    expect(mm.huge.get(pmdOf(start))).toMatchObject({ swapbacked: false, dirty: false });
    reclaim(k, k.phys.freePages + 512);
    expect(k.vmstat.pglazyfreed).toBe(0);
    expect(mm.huge.has(pmdOf(start))).toBe(true);
  });
});
