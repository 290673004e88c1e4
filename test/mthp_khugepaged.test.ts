/**
 * Linux 7.2's khugepaged with mTHP sizes enabled (the series' v18): each scanned PMD is
 * collapsed into the enabled sizes its occupied PTEs allow (mthp_collapse()), mapped by
 * PTEs as folios of that order; with only the PMD size enabled 7.2 is 7.1.
 */
import { describe, expect, test } from "vitest";
import { MAX_PTES_NONE_WARNING } from "../host/khugepaged/mthp_collapse.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import { fork } from "../host/mm/process.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, type CoreKind, events, hotTask, pteAt } from "./khugepaged_fixture.ts";

// madvise: the faults before MADV_HUGEPAGE map 4 KiB pages (an "always" size would fault mTHPs), as the selftest's mTHP context does.
const MTHP_64K = { enabled: "madvise", "hugepages-64kB/enabled": "madvise", "hugepages-2048kB/enabled": "never" };

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  /** A 2 MiB VMA with its first `pages` pages written, under 7.2 with `sysfs`; after its first pass. */
  async function scanned(pages: number, sysfs: Record<string, string | number>) {
    const k = await boot(core, { variant: "7.2", sysfs });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, pages * PAGE_SIZE, true);
    // MADV_HUGEPAGE registers the mm (a 4 KiB fault does not: only the PMD fault path does).
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    const orders = Array.from({ length: 512 }, (_, i) => pteAt(mm, vma.start + i * PAGE_SIZE));
    return { k, mm, vma, orders };
  }

  test("max_ptes_none 511: every 64 KiB window with an occupied PTE becomes a 64 KiB folio, the rest stays empty", async () => {
    const { k, orders } = await scanned(24, MTHP_64K);
    expect(orders.slice(0, 32).every((p) => p.present && p.order === 4)).toBe(true);
    expect(orders.slice(32).every((p) => !p.present)).toBe(true);
    // Each folio is 16 contiguous, aligned pfns.
    for (const w of [0, 16]) {
      expect(orders[w].pfn % 16).toBe(0);
      for (let i = 1; i < 16; i++) expect(orders[w + i].pfn).toBe(orders[w].pfn + i);
    }
    const collapses = events(k, "mm_collapse_huge_page");
    expect(collapses.map((e) => [e.status, e.order])).toEqual([["succeeded", 4], ["succeeded", 4]]);
    expect(events(k, "mm_khugepaged_scan_pmd").map((e) => e.status)).toEqual(["succeeded"]);
    // pages_collapsed counts the PMD once, however many windows of it collapsed.
    expect(k.khugepaged.pagesCollapsed).toBe(1);
  });

  test("max_ptes_none 0: only full windows collapse", async () => {
    const { orders } = await scanned(24, { ...MTHP_64K, "khugepaged/max_ptes_none": 0 });
    expect(orders.slice(0, 16).every((p) => p.order === 4)).toBe(true);
    expect(orders.slice(16, 24).every((p) => p.present && p.order === 0)).toBe(true);
  });

  test("max_ptes_none outside 0 and 511 acts as 0 for mTHP orders (v18): only full windows collapse, with a one-time warning", async () => {
    const { k, orders } = await scanned(24, { ...MTHP_64K, "khugepaged/max_ptes_none": 300 });
    expect(orders.slice(0, 16).every((p) => p.order === 4)).toBe(true);
    expect(orders.slice(16, 24).every((p) => p.present && p.order === 0)).toBe(true);
    expect(events(k, "mm_khugepaged_scan_pmd").map((e) => e.status)).toEqual(["succeeded"]);
    // The kernel accepts the value and warns once (pr_warn_once), however many PMDs meet it.
    advance(k, 30_000);
    expect(k.dmesg).toEqual([MAX_PTES_NONE_WARNING]);
  });

  test("a later pass finds the windows PTE-mapped at their order and collapses nothing again", async () => {
    const { k } = await scanned(16, MTHP_64K);
    advance(k, 10_500);
    expect(events(k, "mm_collapse_huge_page").filter((e) => e.status === "succeeded")).toHaveLength(1);
    expect(events(k, "mm_collapse_huge_page_isolate").at(-1)!.status).toBe("pte_mapped_hugepage");
  });

  test("with only the PMD size enabled 7.2 collapses as 7.1 does, event for event, its collapse events with order=9", async () => {
    const run = async (variant: string) => {
      const k = await boot(core, { variant, sysfs: { enabled: "madvise" } });
      const mm = k.createMm("t");
      const vma = mmap(k, mm, { len: 4 * PMD_SIZE, align: PMD_SIZE, populate: true });
      madvise(k, mm, vma.start, 4 * PMD_SIZE, "MADV_HUGEPAGE");
      hotTask(k, "h", 2);
      advance(k, 30_000);
      return k.tracer.ftrace();
    };
    const [a, b] = [await run("7.1"), await run("7.2")];
    expect(a).toContain("mm_collapse_huge_page");
    expect(a).not.toContain("order=");
    expect(b.match(/mm_collapse_huge_page(_isolate)?: .*, order=9$/gm)).toHaveLength(a.match(/mm_collapse_huge_page/g)!.length);
    expect(b.replaceAll(", order=9", "")).toBe(a);
  });

  // The scan sets no bit for a swap PTE, and 7.2's mthp_collapse() runs with only the PMD order
  // too (collapse_scan_pmd() calls it on every SCAN_SUCCEED, v17/v18 11/14): at max_ptes_none 0
  // the PMD window then has 511 of the 512 bits it needs, where 7.1 swaps the page in and collapses.
  test("with only the PMD size on and max_ptes_none 0, a swapped-out page keeps 7.2 from collapsing the PMD 7.1 collapses", async () => {
    const run = async (variant: string) => {
      const k = await boot(core, { variant, sysfs: { enabled: "madvise", "khugepaged/max_ptes_none": 0 } });
      const { mm, start } = hotTask(k, "h", 1);
      madvise(k, mm, start + 100 * PAGE_SIZE, PAGE_SIZE, "MADV_PAGEOUT");
      advance(k, 1);
      return { k, scans: events(k, "mm_khugepaged_scan_pmd").map((e) => [e.status, e.unmapped]) };
    };
    const [a, b] = [await run("7.1"), await run("7.2")];
    expect(a.scans[0][0]).toBe("succeeded");
    expect(events(a.k, "mm_collapse_huge_page").map((e) => e.status)).toEqual(["succeeded"]);
    expect(b.scans[0]).toEqual(["failed", a.scans[0][1]]);
    expect(events(b.k, "mm_collapse_huge_page")).toEqual([]);
  });
});

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core: hugepages-<N>kB/stats", (_name, core) => {
  test("collapse_alloc counts each window's folio at its size; collapse_exceed_none_pte the window that had too many empty PTEs", async () => {
    const k = await boot(core, { variant: "7.2", sysfs: { ...MTHP_64K, "hugepages-128kB/enabled": "madvise", "khugepaged/max_ptes_none": 0 } });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    // 128 kB full at PTEs 0-31; 64 kB full at 32-47; PTEs 48-55 written, half of a 64 kB window.
    touch(k, mm, vma.start, 56 * PAGE_SIZE, true);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    expect(k.mthpStats[128]).toMatchObject({ collapse_alloc: 1, collapse_exceed_none_pte: 0 });
    expect(k.mthpStats[64]).toMatchObject({ collapse_alloc: 1, collapse_alloc_failed: 0 });
    // No window of PTEs 48-63 qualified at max_ptes_none 0: nothing was attempted, nothing counted.
    expect(Object.values(k.mthpStats[16]).every((n) => n === 0)).toBe(true);
    expect(k.vmstat.thp_collapse_alloc).toBe(0);
  });

  test("a shared page in a window fails it with collapse_exceed_shared_pte and the walk tries its halves", async () => {
    const k = await boot(core, { variant: "7.2", sysfs: { ...MTHP_64K, "hugepages-32kB/enabled": "madvise" } });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, 16 * PAGE_SIZE, true);
    fork(k, mm, "child");
    // The parent writes its second half again: COW gives it private pages; the first half stays shared.
    touch(k, mm, vma.start + 8 * PAGE_SIZE, 8 * PAGE_SIZE, true);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    expect(k.mthpStats[64].collapse_exceed_shared_pte).toBe(1);
    expect(k.mthpStats[32]).toMatchObject({ collapse_exceed_shared_pte: 1, collapse_alloc: 2 });
    expect(pteAt(mm, vma.start + 8 * PAGE_SIZE).order).toBe(3);
    expect(pteAt(mm, vma.start).order).toBe(0);
  });
});
