/**
 * The life cycle of lazy-free memory, as khugepaged's lazy-free skip depends on it:
 * MADV_FREE, a later read or write, reclaim, collapse, and VM_DROPPABLE.
 * (mm/madvise.c madvise_free_pte_range, mm/swap.c lru_lazyfree, mm/rmap.c
 * try_to_unmap_one, mm/vmscan.c folio_check_references.)
 */
import { describe, expect, test } from "vitest";
import { VMA } from "../host/core/layout.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import type { Kernel } from "../host/mm/kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { reclaim } from "../host/mm/reclaim.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, type CoreKind, hotTask, pteAt } from "./khugepaged_fixture.ts";

/** Reclaim `pages` base pages. */
function reclaimPages(k: Kernel, pages: number): void {
  reclaim(k, k.phys.freePages + pages);
}

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  const start = (variant = "baseline") => boot(core, { variant, sysfs: { enabled: "madvise" } });

  test("MADV_FREE makes PTEs clean and old and folios !swapbacked (smaps LazyFree, pglazyfree)", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    expect(pteAt(t.mm, t.start)).toMatchObject({ young: true, dirty: true, swapbacked: true });
    madvise(k, t.mm, t.start, 16 * PAGE_SIZE, "MADV_FREE");
    expect(pteAt(t.mm, t.start)).toMatchObject({ present: true, young: false, dirty: false, swapbacked: false, anon: true });
    expect(pteAt(t.mm, t.start + 16 * PAGE_SIZE)).toMatchObject({ dirty: true, swapbacked: true });
    expect(smapsRollup(t.mm)).toMatchObject({ Rss: 2048, LazyFree: 64 });
    expect(k.vmstat.pglazyfree).toBe(16);
  });

  test("touch() after MADV_FREE: a read sets young only, a write re-dirties the PTE (the folio stays !swapbacked)", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, 2 * PAGE_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PAGE_SIZE, false);
    touch(k, t.mm, t.start + PAGE_SIZE, PAGE_SIZE, true);
    expect(pteAt(t.mm, t.start)).toMatchObject({ young: true, dirty: false, swapbacked: false });
    expect(pteAt(t.mm, t.start + PAGE_SIZE)).toMatchObject({ young: true, dirty: true, swapbacked: false });
    // smaps_account() counts LazyFree only while clean: the written page no longer counts.
    expect(smapsRollup(t.mm).LazyFree).toBe(4);
  });

  test("reclaim() discards clean lazy-free pages (a later read sees the zero page) and makes re-dirtied ones swap-backed", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, 8 * PAGE_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, 4 * PAGE_SIZE, true);
    madvise(k, t.mm, t.start, 8 * PAGE_SIZE, "MADV_COLD");
    reclaimPages(k, 4);
    expect(k.vmstat.pglazyfreed).toBe(4);
    expect(k.vmstat.pswpout).toBe(0);
    expect(pteAt(t.mm, t.start)).toMatchObject({ present: true, swapbacked: true, dirty: true });
    expect(pteAt(t.mm, t.start + 4 * PAGE_SIZE)).toMatchObject({ present: false, swap: false });
    expect(smapsRollup(t.mm)).toMatchObject({ Rss: 2048 - 16, LazyFree: 0, Swap: 0 });
    touch(k, t.mm, t.start + 4 * PAGE_SIZE, PAGE_SIZE, false);
    expect(pteAt(t.mm, t.start + 4 * PAGE_SIZE)).toMatchObject({ present: true, zero: true });
  });

  test("reclaim() spares a lazy-free page read since MADV_FREE once (folio_check_references), then discards it", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PAGE_SIZE, false);
    reclaimPages(k, 511);
    expect(pteAt(t.mm, t.start)).toMatchObject({ present: true, young: false });
    expect(k.vmstat.pglazyfreed).toBe(511);
    reclaimPages(k, 1);
    expect(pteAt(t.mm, t.start)).toMatchObject({ present: false });
    expect(k.vmstat.pglazyfreed).toBe(512);
  });

  test("MADV_FREE drops swap entries: the PTE becomes none", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PAGE_SIZE, "MADV_PAGEOUT");
    expect(smapsRollup(t.mm).Swap).toBe(4);
    madvise(k, t.mm, t.start, PAGE_SIZE, "MADV_FREE");
    expect(smapsRollup(t.mm).Swap).toBe(0);
    expect(pteAt(t.mm, t.start)).toMatchObject({ present: false, swap: false });
  });

  test("MADV_FREE of a whole THP keeps it PMD-mapped and lazy-free; reclaim drops it whole unless it was written", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: 2 * PMD_SIZE, align: PMD_SIZE, flags: VMA.VM_HUGEPAGE, populate: true });
    expect(smapsRollup(mm).AnonHugePages).toBe(4096);
    madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_FREE");
    expect(smapsRollup(mm)).toMatchObject({ AnonHugePages: 4096, LazyFree: 4096 });
    expect(k.vmstat.pglazyfree).toBe(1024);
    touch(k, mm, vma.start + PMD_SIZE, PAGE_SIZE, true);
    reclaimPages(k, 1024);
    expect(smapsRollup(mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
    expect(k.vmstat.pglazyfreed).toBe(512);
  });

  test("MADV_FREE of part of a THP splits the PMD first", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, flags: VMA.VM_HUGEPAGE, populate: true });
    madvise(k, mm, vma.start, PAGE_SIZE, "MADV_FREE");
    expect(smapsRollup(mm)).toMatchObject({ AnonHugePages: 0, LazyFree: 4 });
    expect(k.vmstat.thp_split_pmd).toBe(1);
  });

  test("khugepaged turns a lazy-free PMD the task still reads into a swap-backed THP outside VM_DROPPABLE", async () => {
    const k = await start("baseline");
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PMD_SIZE, false);
    advance(k, 1);
    expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
    // Reclaim can no longer discard it: it would have to be swapped.
    reclaimPages(k, 512);
    expect(smapsRollup(t.mm).AnonHugePages).toBe(2048);
    expect(k.vmstat.pglazyfreed).toBe(0);
  });

  test("VM_DROPPABLE pages are lazy-free from birth and reclaim drops them even when dirty", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, flags: VMA.VM_DROPPABLE, populate: true });
    // Written, so dirty: smaps does not count them LazyFree, though they are !swapbacked.
    expect(smapsRollup(mm)).toMatchObject({ Rss: 2048, LazyFree: 0 });
    expect(pteAt(mm, vma.start)).toMatchObject({ dirty: true, swapbacked: false });
    reclaimPages(k, 512);
    expect(smapsRollup(mm).Rss).toBe(0);
    expect(k.vmstat.pglazyfreed).toBe(512);
  });
});

describe("reclaim of a large lazy-free folio mapped by PTEs", () => {
  test("one dirty PTE makes the whole folio swap-backed again: none of its pages is discarded", async () => {
    const k = await boot(CORES[0], { sysfs: { enabled: "always" } });
    const mm = k.createMm("t");
    const start = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, populate: true }).start;
    madvise(k, mm, start, PMD_SIZE, "MADV_FREE");
    // A VMA split through the clean lazy-free THP maps it by 512 PTEs, one folio still.
    madvise(k, mm, start, PMD_SIZE / 2, "MADV_NOHUGEPAGE");
    expect(pteAt(mm, start)).toMatchObject({ order: 9, swapbacked: false, dirty: false });
    touch(k, mm, start + 100 * PAGE_SIZE, PAGE_SIZE, true);
    reclaimPages(k, 1);
    // try_to_unmap_one() finds the dirty PTE: folio_set_swapbacked(), nothing discarded.
    expect(k.vmstat.pglazyfreed).toBe(0);
    expect(pteAt(mm, start + 5 * PAGE_SIZE)).toMatchObject({ present: true, swapbacked: true });
  });
});
