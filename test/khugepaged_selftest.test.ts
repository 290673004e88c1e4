/**
 * The anonymous-memory cases of the kernel's selftest tools/testing/selftests/mm/khugepaged.c,
 * replayed through khugesim's public API (mmap/touch/madvise/fork, MADV_PAGEOUT for
 * swap-out, the simulated clock for khugepaged) in both of its collapse contexts:
 *
 * - "khugepaged": MADV_HUGEPAGE, then run the clock until the range is huge or two more
 *   full scans have completed (the selftest's wait_for_scan(), 500 ms ticks, same timeout);
 *   khugepaged enforces max_ptes_none/swap/shared.
 * - "madvise": enabled=never, MADV_HUGEPAGE (to clear VM_NOHUGEPAGE), MADV_COLLAPSE with
 *   one retry on EAGAIN; its return value must match the expectation; no limits.
 *
 * Each case checks the selftest's expected outcome with smaps (AnonHugePages, Swap), for
 * every kernel variant (the selftest passes on 6.18 and on 7.1 alike) and scan core.
 * Settings are the selftest's: enabled=madvise, use_zero_page=0, scan/alloc sleep 10 ms.
 *
 * Not modelled, and why:
 * - collapse_compound_extreme: builds a PTE table of 512 different PTE-mapped THPs with
 *   mremap(MREMAP_FIXED); khugesim has no mremap.
 * - collapse_fork_cow_race: a true race between a collapsing child and a writing parent;
 *   khugesim runs one thing at a time, so only its sequential outcome is checked.
 * - madvise_retracted_page_tables, and every file/shmem case: khugesim models anonymous
 *   memory only (the selftest runs madvise_retracted_page_tables for file and shmem only).
 * - validate_memory(): khugesim keeps no page contents; the mappings are checked instead.
 *
 * The mid-2026 tree adds a third context, "mthp_khugepaged" (anonymous memory only), run
 * for every collapse order from 2 (MIN_MTHP_ORDER) below the PMD order: its cases set
 * the target size to madvise with the top level at never, and check_huge() counts the
 * folios of that order within the one PMD (pagemap and kpageflags there). Those cases
 * run below against Linux 7.2's mTHP collapse (both max_ptes_none rules), with the
 * selftest's khugepaged_full_pass(): a write to scan_sleep_millisecs wakes khugepaged,
 * and full_scans advancing by two marks one whole pass.
 */
import { describe, expect, test } from "vitest";
import type { Variant } from "../host/kernel/variant.ts";
import { getVariant, VARIANTS } from "../host/kernel/variants/mod.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { fork } from "../host/mm/process.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, type CoreKind, hugeIn, pteAt, SELFTEST_SYSFS } from "./khugepaged_fixture.ts";

const HPAGE_PMD_NR = 512;
const PMD_ORDER = 9;
const TICK_MS = 500;

/** One run of a case: a kernel with the selftest's settings and the test process. */
interface T {
  k: KhugepagedKernel;
  mm: Mm;
}

/** A collapse context of the selftest (`struct collapse_context`). */
interface Ctx {
  name: "khugepaged" | "madvise";
  enforcePteScanLimits: boolean;
  collapse(t: T, mm: Mm, p: number, nrHpages: number, expect: boolean): void;
}

async function start(core: CoreKind, variant: Variant): Promise<T> {
  const k = await boot(core, { variant, sysfs: SELFTEST_SYSFS });
  return { k, mm: k.createMm("khugepaged-selftest") };
}

/** alloc_mapping(): nr PMD-aligned 2 MiB of anonymous private memory. */
function setupArea(t: T, mm: Mm, nr: number): number {
  return mmap(t.k, mm, { len: nr * PMD_SIZE, align: PMD_SIZE }).start;
}

/** fill_memory(): write one word in every page of [p + start, p + end). */
function fault(t: T, mm: Mm, p: number, start: number, end: number): void {
  touch(t.k, mm, p + start, end - start, true);
}

/** check_huge_anon(): the mapping has exactly `nr` PMD-mapped THPs (smaps AnonHugePages). */
function checkHuge(mm: Mm, p: number, len: number, nr: number): boolean {
  return hugeIn(mm, p, len) === nr && smapsRollup(mm).AnonHugePages === nr * 2048;
}

/** swapout_range(): MADV_PAGEOUT, then smaps shows exactly `size` bytes of swap. */
function swapout(t: T, mm: Mm, p: number, size: number): boolean {
  expect(madvise(t.k, mm, p, size, "MADV_PAGEOUT")).toBe(0);
  return smapsRollup(mm).Swap === size / 1024;
}

/** madvise_collapse_retry(): MADV_COLLAPSE, once more on EAGAIN. */
function madviseCollapseRetry(t: T, mm: Mm, p: number, size: number): number {
  const ret = madvise(t.k, mm, p, size, "MADV_COLLAPSE");
  return ret === -11 ? madvise(t.k, mm, p, size, "MADV_COLLAPSE") : ret;
}

/** alloc_hpage(): a PMD-mapped THP made by MADV_COLLAPSE, then marked VM_HUGEPAGE. */
function allocHpage(t: T): number {
  const p = setupArea(t, t.mm, 1);
  fault(t, t.mm, p, 0, PMD_SIZE);
  expect(madviseCollapseRetry(t, t.mm, p, PMD_SIZE)).toBe(0);
  expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
  expect(madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE")).toBe(0);
  return p;
}

/**
 * check_huge_anon() for the mTHP context: the folios of order `order` that map naturally
 * aligned windows of [p, p + len) whole, counted from the page tables.
 */
function foliosAtOrder(mm: Mm, p: number, len: number, order: number): number {
  const n = 1 << order;
  let folios = 0;
  for (let w = p; w < p + len; w += n * PAGE_SIZE) {
    const head = pteAt(mm, w);
    let whole = head.present && !head.zero && head.order === order && head.pfn % n === 0;
    for (let i = 1; i < n && whole; i++) {
      const e = pteAt(mm, w + i * PAGE_SIZE);
      whole = e.present && e.order === order && e.pfn === head.pfn + i;
    }
    if (whole) folios++;
  }
  return folios;
}

/** wait_for_scan() at `order` (the PMD order by default): true on timeout; stops early once collapsed or after two more full scans. */
function waitForScan(t: T, mm: Mm, p: number, len: number, nrHpages: number, order = PMD_ORDER): boolean {
  const collapsed = (n: number) => (order === PMD_ORDER ? checkHuge(mm, p, len, n) : foliosAtOrder(mm, p, len, order) === n);
  expect(collapsed(0)).toBe(true);
  madvise(t.k, mm, p, len, "MADV_HUGEPAGE");
  const fullScans = t.k.khugepaged.fullScans + 2;
  let timeout = 6 + 2 * Math.floor((nrHpages * (PAGE_SIZE << order)) / (128 << 20));
  while (timeout--) {
    if (collapsed(nrHpages)) break;
    if (t.k.khugepaged.fullScans >= fullScans) break;
    advance(t.k, TICK_MS);
  }
  return timeout === -1;
}

const khugepagedContext: Ctx = {
  name: "khugepaged",
  enforcePteScanLimits: true,
  collapse(t, mm, p, nrHpages, expected) {
    const len = nrHpages * PMD_SIZE;
    if (waitForScan(t, mm, p, len, nrHpages)) {
      expect(expected, "khugepaged timed out").toBe(false);
      return;
    }
    expect(checkHuge(mm, p, len, expected ? nrHpages : 0)).toBe(true);
  },
};

const madviseContext: Ctx = {
  name: "madvise",
  enforcePteScanLimits: false,
  collapse(t, mm, p, nrHpages, expected) {
    const len = nrHpages * PMD_SIZE;
    expect(checkHuge(mm, p, len, 0)).toBe(true);
    // Keep khugepaged out and show that MADV_COLLAPSE ignores "enabled".
    t.k.writeTunable("enabled", "never");
    madvise(t.k, mm, p, len, "MADV_HUGEPAGE");
    const ret = madviseCollapseRetry(t, mm, p, len);
    expect(ret === 0, `MADV_COLLAPSE returned ${ret}`).toBe(expected);
    expect(checkHuge(mm, p, len, expected ? nrHpages : 0)).toBe(true);
    t.k.writeTunable("enabled", SELFTEST_SYSFS.enabled);
  },
};

const CASES = CORES.flatMap((c) => [...VARIANTS.values()].map((v): [string, string, CoreKind, Variant] => [c.name, v.name, c, v]));

describe.each(CASES)("%s core, variant %s", (_core, _variant, core, variant) => {
  test("alloc_at_fault: a write fault maps a THP with enabled=always; MADV_DONTNEED of one page splits it", async () => {
    const t = await start(core, variant);
    t.k.writeTunable("enabled", "always");
    const p = setupArea(t, t.mm, 1);
    touch(t.k, t.mm, p, 1, true);
    expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
    t.k.writeTunable("enabled", "madvise");
    madvise(t.k, t.mm, p, PAGE_SIZE, "MADV_DONTNEED");
    expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
    expect(t.k.vmstat.thp_fault_alloc).toBe(1);
    expect(t.k.vmstat.thp_split_pmd).toBe(1);
  });

  describe.each([khugepagedContext, madviseContext].map((c): [string, Ctx] => [c.name, c]))("%s", (_ctxName, c) => {
    test("collapse_full: four fully populated PTE tables become four THPs", async () => {
      const t = await start(core, variant);
      const p = setupArea(t, t.mm, 4);
      fault(t, t.mm, p, 0, 4 * PMD_SIZE);
      c.collapse(t, t.mm, p, 4, true);
      expect(t.k.vmstat.thp_collapse_alloc).toBe(4);
      if (c.name === "khugepaged") expect(t.k.khugepaged.pagesCollapsed).toBe(4);
      else expect(t.k.khugepaged.pagesCollapsed).toBe(0);
    });

    test("collapse_empty: a never-touched PMD is not collapsed (no anon_vma)", async () => {
      const t = await start(core, variant);
      const p = setupArea(t, t.mm, 1);
      c.collapse(t, t.mm, p, 1, false);
      // khugepaged_enter_vma() needs an anon_vma: MADV_HUGEPAGE did not register the mm.
      expect(t.mm.registered).toBe(false);
    });

    test("collapse_single_pte_entry: one present PTE and 511 empty ones collapse", async () => {
      const t = await start(core, variant);
      const p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, PAGE_SIZE);
      c.collapse(t, t.mm, p, 1, true);
    });

    test("collapse_max_ptes_none: one empty PTE over max_ptes_none blocks khugepaged only", async () => {
      const t = await start(core, variant);
      const maxPtesNone = HPAGE_PMD_NR / 2;
      t.k.writeTunable("khugepaged/max_ptes_none", maxPtesNone);
      let p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, (HPAGE_PMD_NR - maxPtesNone - 1) * PAGE_SIZE);
      c.collapse(t, t.mm, p, 1, !c.enforcePteScanLimits);
      if (c.enforcePteScanLimits) {
        expect(t.k.vmstat.thp_scan_exceed_none_pte).toBeGreaterThan(0);
        // cleanup_area() + setup_area(): a fresh mapping, here in a fresh process.
        const mm = t.k.createMm("khugepaged-selftest-2");
        p = setupArea(t, mm, 1);
        fault(t, mm, p, 0, (HPAGE_PMD_NR - maxPtesNone) * PAGE_SIZE);
        c.collapse(t, mm, p, 1, true);
      }
    });

    test("collapse_swapin_single_pte: a PMD with one page swapped out is swapped in and collapsed", async () => {
      const t = await start(core, variant);
      const p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, PMD_SIZE);
      expect(swapout(t, t.mm, p, PAGE_SIZE)).toBe(true);
      const swapin = t.k.vmstat.pswpin;
      c.collapse(t, t.mm, p, 1, true);
      expect(t.k.vmstat.pswpin - swapin).toBe(1);
      expect(smapsRollup(t.mm).Swap).toBe(0);
    });

    test("collapse_max_ptes_swap: max_ptes_swap + 1 swap entries block khugepaged only", async () => {
      const t = await start(core, variant);
      const maxPtesSwap = t.k.tunables.khugepaged.max_ptes_swap;
      const p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, PMD_SIZE);
      expect(swapout(t, t.mm, p, (maxPtesSwap + 1) * PAGE_SIZE)).toBe(true);
      c.collapse(t, t.mm, p, 1, !c.enforcePteScanLimits);
      if (c.enforcePteScanLimits) {
        expect(t.k.vmstat.thp_scan_exceed_swap_pte).toBeGreaterThan(0);
        fault(t, t.mm, p, 0, PMD_SIZE);
        expect(swapout(t, t.mm, p, maxPtesSwap * PAGE_SIZE)).toBe(true);
        c.collapse(t, t.mm, p, 1, true);
      }
    });

    test("collapse_single_pte_entry_compound: a THP split down to one mapped PTE collapses again", async () => {
      const t = await start(core, variant);
      const p = allocHpage(t);
      madvise(t.k, t.mm, p, PMD_SIZE, "MADV_NOHUGEPAGE");
      // Split huge page leaving single PTE mapping compound page.
      madvise(t.k, t.mm, p + PAGE_SIZE, PMD_SIZE - PAGE_SIZE, "MADV_DONTNEED");
      expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
      c.collapse(t, t.mm, p, 1, true);
    });

    test("collapse_full_of_compound: a PTE table full of one PTE-mapped THP collapses", async () => {
      const t = await start(core, variant);
      const p = allocHpage(t);
      // Splitting the VMA at p + 4 KiB splits the PMD; the second madvise merges the VMAs back.
      madvise(t.k, t.mm, p, PAGE_SIZE, "MADV_NOHUGEPAGE");
      madvise(t.k, t.mm, p, PMD_SIZE, "MADV_NOHUGEPAGE");
      expect(t.mm.vmas).toHaveLength(1);
      expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
      c.collapse(t, t.mm, p, 1, true);
    });

    test("collapse_fork: the child collapses a PMD holding one page shared with its parent", async () => {
      const t = await start(core, variant);
      const p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, PAGE_SIZE);
      expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
      const child = fork(t.k, t.mm, "khugepaged-selftest-child");
      expect(checkHuge(child, p, PMD_SIZE, 0)).toBe(true);
      fault(t, child, p, PAGE_SIZE, 2 * PAGE_SIZE);
      c.collapse(t, child, p, 1, true);
      // The parent still has its small page.
      expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
      expect(smapsRollup(t.mm).Rss).toBe(4);
    });

    test("collapse_fork_compound: the child collapses a PTE table full of a THP shared with its parent", async () => {
      const t = await start(core, variant);
      const p = allocHpage(t);
      const child = fork(t.k, t.mm, "khugepaged-selftest-child");
      expect(checkHuge(child, p, PMD_SIZE, 1)).toBe(true);
      madvise(t.k, child, p, PAGE_SIZE, "MADV_NOHUGEPAGE");
      madvise(t.k, child, p, PMD_SIZE, "MADV_NOHUGEPAGE");
      expect(checkHuge(child, p, PMD_SIZE, 0)).toBe(true);
      fault(t, child, p, 0, PAGE_SIZE);
      t.k.writeTunable("khugepaged/max_ptes_shared", HPAGE_PMD_NR - 1);
      c.collapse(t, child, p, 1, true);
      t.k.writeTunable("khugepaged/max_ptes_shared", SELFTEST_SYSFS["khugepaged/max_ptes_shared"]);
      // The parent still has its huge page.
      expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
      // Beyond the selftest: the child maps none of the folio now, so it is the parent's
      // alone and a write reuses it in place instead of splitting it for CoW.
      expect(t.k.sharers.size).toBe(0);
      fault(t, t.mm, p, 0, PAGE_SIZE);
      expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
    });

    test("collapse_max_ptes_shared: max_ptes_shared + 1 shared PTEs block khugepaged only", async () => {
      const t = await start(core, variant);
      const maxPtesShared = t.k.tunables.khugepaged.max_ptes_shared;
      const p = allocHpage(t);
      const child = fork(t.k, t.mm, "khugepaged-selftest-child");
      expect(checkHuge(child, p, PMD_SIZE, 1)).toBe(true);
      // Trigger CoW on pages [0, 255): the child's PMD is split, 257 PTEs stay shared.
      fault(t, child, p, 0, (HPAGE_PMD_NR - maxPtesShared - 1) * PAGE_SIZE);
      expect(checkHuge(child, p, PMD_SIZE, 0)).toBe(true);
      c.collapse(t, child, p, 1, !c.enforcePteScanLimits);
      if (c.enforcePteScanLimits) {
        expect(t.k.vmstat.thp_scan_exceed_share_pte).toBeGreaterThan(0);
        fault(t, child, p, 0, (HPAGE_PMD_NR - maxPtesShared) * PAGE_SIZE);
        expect(checkHuge(child, p, PMD_SIZE, 0)).toBe(true);
        c.collapse(t, child, p, 1, true);
      }
      expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
    });

    test("collapse_fork_cow_race (sequential): the child collapses; the parent keeps small pages", async () => {
      const t = await start(core, variant);
      const shared = 64 * PAGE_SIZE;
      const p = setupArea(t, t.mm, 1);
      fault(t, t.mm, p, 0, shared);
      const child = fork(t.k, t.mm, "khugepaged-selftest-child");
      fault(t, child, p, shared, PMD_SIZE);
      c.collapse(t, child, p, 1, true);
      fault(t, t.mm, p, 0, shared);
      expect(checkHuge(t.mm, p, PMD_SIZE, 0)).toBe(true);
      expect(smapsRollup(t.mm).Rss).toBe(64 * 4);
    });

    if (c.name === "madvise") {
      test("madvise_collapse_existing_thps: MADV_COLLAPSE of an already huge PMD returns 0", async () => {
        const t = await start(core, variant);
        const p = setupArea(t, t.mm, 1);
        fault(t, t.mm, p, 0, PMD_SIZE);
        c.collapse(t, t.mm, p, 1, true);
        t.k.writeTunable("enabled", "never");
        madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE");
        expect(madviseCollapseRetry(t, t.mm, p, PMD_SIZE)).toBe(0);
        expect(checkHuge(t.mm, p, PMD_SIZE, 1)).toBe(true);
        expect(t.k.vmstat.thp_collapse_alloc).toBe(1);
      });
    }
  });
});

/** The smallest order khugepaged considers for mTHP collapse (MIN_MTHP_ORDER). */
const MIN_MTHP_ORDER = 2;
/** The collapse orders the mTHP context runs without -c: every anonymous order from MIN_MTHP_ORDER below the PMD. */
const COLLAPSE_ORDERS = [2, 3, 4, 5, 6, 7, 8];
/** A size's `enabled` path for order `o`. */
const enabledPath = (o: number) => `hugepages-${4 << o}kB/enabled`;

/**
 * khugepaged_full_pass(): wake khugepaged with a write to scan_sleep_millisecs, then
 * wait (500 ms ticks, MTHP_PASS_TIMEOUT_S 30 s) for full_scans to advance by two, one
 * whole pass begun after the setup; false on timeout.
 */
function khugepagedFullPass(t: T): boolean {
  t.k.writeTunable("khugepaged/scan_sleep_millisecs", SELFTEST_SYSFS["khugepaged/scan_sleep_millisecs"]);
  const fullScans = t.k.khugepaged.fullScans + 2;
  for (let ms = 0; ms < 30_000; ms += TICK_MS) {
    if (t.k.khugepaged.fullScans >= fullScans) return true;
    advance(t.k, TICK_MS);
  }
  return t.k.khugepaged.fullScans >= fullScans;
}

/** mthp_push_target_order(): every size and the top level off, the target order at madvise. */
function pushTargetOrder(t: T, order: number): void {
  t.k.writeTunable("enabled", "never");
  for (let o = MIN_MTHP_ORDER; o <= PMD_ORDER; o++) t.k.writeTunable(enabledPath(o), "never");
  t.k.writeTunable(enabledPath(order), "madvise");
}

/**
 * mthp_khugepaged_collapse(): the target order at madvise and the top level at never,
 * then wait_for_scan() over the one PMD, expecting `nrHpages` folios of the order (or none).
 */
function mthpCollapse(t: T, p: number, nrHpages: number, order: number, expected: boolean): void {
  t.k.writeTunable("enabled", "never");
  t.k.writeTunable(enabledPath(order), "madvise");
  if (waitForScan(t, t.mm, p, PMD_SIZE, nrHpages, order)) {
    expect(expected, "khugepaged timed out").toBe(false);
  } else {
    expect(foliosAtOrder(t.mm, p, PMD_SIZE, order)).toBe(expected ? nrHpages : 0);
  }
  // thp_pop_settings().
  t.k.writeTunable("enabled", SELFTEST_SYSFS.enabled);
  t.k.writeTunable(enabledPath(order), "never");
}

const MTHP_CASES = CORES.flatMap((c) => ["7.2", "7.2+mthp-scaled"].flatMap((v) => COLLAPSE_ORDERS.map(
  (o): [string, string, number, CoreKind, Variant] => [c.name, v, o, c, getVariant(v as "7.2")],
)));

describe.each(MTHP_CASES)("%s core, variant %s, mthp_khugepaged order %i", (_core, _variant, order, core, variant) => {
  const window = PAGE_SIZE << order;
  const perPmd = HPAGE_PMD_NR >> order;

  test("collapse_full: a fully populated PTE table becomes one folio of the order per window", async () => {
    const t = await start(core, variant);
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, 0, PMD_SIZE);
    mthpCollapse(t, p, perPmd, order, true);
  });

  test("collapse_empty: a never-touched PMD is not collapsed", async () => {
    const t = await start(core, variant);
    const p = setupArea(t, t.mm, 1);
    mthpCollapse(t, p, perPmd, order, false);
  });

  test("collapse_single_mthp: one populated window collapses, the empty rest does not", async () => {
    const t = await start(core, variant);
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, 0, window);
    mthpCollapse(t, p, 1, order, true);
  });

  test("collapse_order_single_window: the second window, fully populated, collapses alone", async () => {
    const t = await start(core, variant);
    pushTargetOrder(t, order);
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, window, 2 * window);
    expect(foliosAtOrder(t.mm, p, PMD_SIZE, order)).toBe(0);
    madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE");
    expect(khugepagedFullPass(t)).toBe(true);
    expect(foliosAtOrder(t.mm, p + window, window, order)).toBe(1);
    expect(foliosAtOrder(t.mm, p, window, order)).toBe(0);
    expect(foliosAtOrder(t.mm, p + 2 * window, PMD_SIZE - 2 * window, order)).toBe(0);
  });

  test("collapse_order_partial_window: a window with one present PTE collapses at max_ptes_none 511", async () => {
    const t = await start(core, variant);
    pushTargetOrder(t, order);
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, 0, PAGE_SIZE);
    madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE");
    expect(khugepagedFullPass(t)).toBe(true);
    expect(foliosAtOrder(t.mm, p, window, order)).toBe(1);
  });

  test("collapse_order_max_ptes_none: at max_ptes_none 0 the full window collapses, the one missing a page does not", async () => {
    const t = await start(core, variant);
    pushTargetOrder(t, order);
    t.k.writeTunable("khugepaged/max_ptes_none", 0);
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, 0, 2 * window - PAGE_SIZE);
    madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE");
    expect(khugepagedFullPass(t)).toBe(true);
    expect(foliosAtOrder(t.mm, p, window, order)).toBe(1);
    expect(foliosAtOrder(t.mm, p + window, window, order)).toBe(0);
  });

  // The selftest skips this case when the source order (MIN_MTHP_ORDER) is not below the target.
  test.skipIf(order <= MIN_MTHP_ORDER)("collapse_order_mixed_sources: a PMD faulted in as order-2 folios collapses into the target order", async () => {
    const t = await start(core, variant);
    pushTargetOrder(t, order);
    t.k.writeTunable(enabledPath(MIN_MTHP_ORDER), "always");
    const p = setupArea(t, t.mm, 1);
    fault(t, t.mm, p, 0, PMD_SIZE);
    t.k.writeTunable(enabledPath(MIN_MTHP_ORDER), "never");
    // The faults allocated order-2 folios (the selftest skips when the allocator fell back).
    expect(foliosAtOrder(t.mm, p, PMD_SIZE, MIN_MTHP_ORDER)).toBe(HPAGE_PMD_NR >> MIN_MTHP_ORDER);
    madvise(t.k, t.mm, p, PMD_SIZE, "MADV_HUGEPAGE");
    expect(khugepagedFullPass(t)).toBe(true);
    expect(foliosAtOrder(t.mm, p, PMD_SIZE, order)).toBe(perPmd);
  });
});
