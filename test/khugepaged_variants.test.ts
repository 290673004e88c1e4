/**
 * One behavioural suite every kernel variant passes (what Linux 6.18 and 7.1 agree on),
 * then what sets each variant apart: the budget charge, the trace strings and events,
 * and what happens to lazy-free memory. Runs on every scan core of the fixture.
 */
import { describe, expect, test } from "vitest";
import { VMA } from "../host/core/layout.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import type { Variant } from "../host/kernel/variant.ts";
import type { CollapseEvent } from "../host/khugepaged/events.ts";
import { findVariant, POLICIES, VARIANTS, VERSIONS } from "../host/kernel/variants/mod.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { exitMm, fork } from "../host/mm/process.ts";
import { reclaim } from "../host/mm/reclaim.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, type CoreKind, events, hotTask, hugeIn, pteAt } from "./khugepaged_fixture.ts";
import { ScanResult } from "../host/core/scan_result.ts";
import type { Mm } from "../host/mm/mm.ts";

const MADVISE = { enabled: "madvise" };

/** Statuses of the mm_khugepaged_scan_pmd events so far, in order. */
function statuses(k: KhugepagedKernel): string[] {
  return events(k, "mm_khugepaged_scan_pmd").map((e) => String(e.status));
}

/** Run the first khugepaged pass (it starts at the registration time). */
function firstPass(k: KhugepagedKernel): void {
  advance(k, 1);
}

/**
 * Every variant the suite runs: the named ones, each kernel version alone and with each
 * policy. A new version or policy is in it as soon as the registry has it.
 */
const SUITE: Variant[] = [
  ...VARIANTS.values(),
  ...[...VERSIONS.keys()].flatMap((v) => [v, ...[...POLICIES.keys()].map((p) => `${v}+${p}`)]).map((n) => findVariant(n)!),
];

type Start = (o?: { memoryBytes?: number; fragmentation?: number }) => Promise<KhugepagedKernel>;

/**
 * The tests of each lazy-free rule, run for every variant whose rules have it: a policy's
 * entry here is the rest of adding it.
 */
const RULE_SUITES: Record<string, { applies(v: Variant): boolean; tests(start: Start, v: Variant): void }> = {
  "lazyfree-skip": { applies: (v) => v.lazyfreeSkip, tests: lazyfreeSkipTests },
  "lazyfree-keep": { applies: (v) => !v.lazyfreeSkip && !v.collapsedSwapbacked(true, false), tests: lazyfreeKeepTests },
  /** Neither policy: the kernel's collapse of lazy-free memory into a swap-backed THP. */
  "lazyfree-collapse": { applies: (v) => !v.lazyfreeSkip && v.collapsedSwapbacked(true, false), tests: lazyfreeCollapseTests },
};

/** The tests of each per-order max_ptes_none rule of mTHP collapse, run for every variant whose rules have it. */
const MTHP_RULE_SUITES: typeof RULE_SUITES = {
  "mthp-merged": { applies: (v) => v.mthpMaxNone === "merged", tests: mthpRuleTests },
  "mthp-scaled": { applies: (v) => v.mthpMaxNone === "scaled", tests: mthpRuleTests },
};

test("every registered policy has its rule suite, and every variant runs exactly one of each kind", () => {
  expect([...Object.keys(RULE_SUITES), ...Object.keys(MTHP_RULE_SUITES)]).toEqual(expect.arrayContaining([...POLICIES.keys()]));
  for (const v of SUITE) {
    for (const suites of [RULE_SUITES, MTHP_RULE_SUITES]) expect(Object.values(suites).filter((r) => r.applies(v))).toHaveLength(1);
  }
});

test("the named variants are aliases: baseline is 6.18, lazyfree-skip 7.1, lazyfree-keep 7.1+lazyfree-keep", () => {
  const rules = (v: Variant) => ({ ...v, name: "", description: "", column: undefined });
  expect(rules(VARIANTS.get("baseline")!)).toEqual(rules(findVariant("6.18")!));
  expect(rules(VARIANTS.get("lazyfree-skip")!)).toEqual(rules(findVariant("7.1")!));
  expect(rules(VARIANTS.get("lazyfree-keep")!)).toEqual(rules(findVariant("7.1+lazyfree-keep")!));
  expect(findVariant("6.18+lazyfree-skip")).toMatchObject({ version: "6.18", policies: ["lazyfree-skip"], lazyfreeSkip: true });
  for (const bad of ["7.0", "7.1+mine", "7.1+lazyfree-keep+lazyfree-keep", "+lazyfree-keep"]) expect(findVariant(bad)).toBeUndefined();
});

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_coreName, core) => {
  describe.each(SUITE.map((v): [string, Variant] => [v.name, v]))("variant %s", (_name, variant) => {
    const start: Start = (o = {}) => boot(core, { variant, sysfs: MADVISE, ...o });
    const v618 = variant.version === "6.18";

    test("khugepaged collapses a fully populated, recently used PMD", async () => {
      const k = await start();
      const t = hotTask(k, "hot", 1);
      firstPass(k);
      expect(hugeIn(t.mm, t.start, PMD_SIZE)).toBe(1);
      expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
      expect(k.khugepaged.pagesCollapsed).toBe(1);
      expect(k.vmstat.thp_collapse_alloc).toBe(1);
      expect(statuses(k)).toEqual(["succeeded"]);
    });

    test("scanPmd() returns SCAN_LACK_REFERENCED_PAGE when no PTE is young; MADV_COLLAPSE collapses anyway", async () => {
      const k = await start();
      const t = hotTask(k, "cold", 1);
      madvise(k, t.mm, t.start, PMD_SIZE, "MADV_COLD");
      firstPass(k);
      expect(statuses(k)).toEqual(["lack_referenced_page"]);
      expect(hugeIn(t.mm, t.start, PMD_SIZE)).toBe(0);
      expect(madvise(k, t.mm, t.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
      expect(hugeIn(t.mm, t.start, PMD_SIZE)).toBe(1);
    });

    test("scanPmd() wants half the PMD referenced when it must swap in (HPAGE_PMD_NR / 2)", async () => {
      const k = await start();
      const t = hotTask(k, "t", 2);
      madvise(k, t.mm, t.start, 2 * PMD_SIZE, "MADV_COLD");
      // PMD 0: one page swapped out, 255 young pages; PMD 1: one swapped out, 256 young.
      madvise(k, t.mm, t.start, PAGE_SIZE, "MADV_PAGEOUT");
      madvise(k, t.mm, t.start + PMD_SIZE, PAGE_SIZE, "MADV_PAGEOUT");
      touch(k, t.mm, t.start + PAGE_SIZE, 255 * PAGE_SIZE, false);
      touch(k, t.mm, t.start + PMD_SIZE + PAGE_SIZE, 256 * PAGE_SIZE, false);
      firstPass(k);
      advance(k, 10_000);
      expect(statuses(k)).toContain("lack_referenced_page");
      expect(hugeIn(t.mm, t.start, PMD_SIZE)).toBe(0);
      expect(hugeIn(t.mm, t.start + PMD_SIZE, PMD_SIZE)).toBe(1);
      expect(events(k, "mm_collapse_huge_page_swapin")).toMatchObject([{ swapped_in: 1, referenced: 256, ret: 1 }]);
    });

    test("scanPmd() stops at max_ptes_none + 1 empty PTEs with SCAN_EXCEED_NONE_PTE and counts it", async () => {
      const k = await start();
      writeTunable(k.tunables, "khugepaged/max_ptes_none", 0);
      const t = hotTask(k, "t", 1);
      madvise(k, t.mm, t.start + 100 * PAGE_SIZE, PAGE_SIZE, "MADV_DONTNEED");
      firstPass(k);
      expect(statuses(k)).toEqual(["exceed_none_pte"]);
      expect(events(k, "mm_khugepaged_scan_pmd")[0]).toMatchObject({ none_or_zero: 1, referenced: 100 });
      expect(k.vmstat.thp_scan_exceed_none_pte).toBe(1);
    });

    test("scanPmd() returns SCAN_PMD_MAPPED for a huge PMD and leaves it alone", async () => {
      const k = await start();
      const t = hotTask(k, "t", 1);
      expect(madvise(k, t.mm, t.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
      const allocs = k.vmstat.thp_collapse_alloc;
      firstPass(k);
      expect(statuses(k)).toEqual(["succeeded", "page_pmd_mapped"]);
      expect(k.vmstat.thp_collapse_alloc).toBe(allocs);
      expect(k.khugepaged.pagesCollapsed).toBe(0);
    });

    test("collapse_huge_page() returns SCAN_ALLOC_HUGE_PAGE_FAIL and counts thp_collapse_alloc_failed when no 2 MiB block is free", async () => {
      const k = await start({ memoryBytes: 4 * PMD_SIZE, fragmentation: 1 });
      const t = hotTask(k, "t", 1);
      firstPass(k);
      expect(statuses(k)).toEqual(["alloc_huge_page_failed"]);
      expect(events(k, "mm_collapse_huge_page")).toMatchObject([{ isolated: 0, status: "alloc_huge_page_failed" }]);
      expect(k.vmstat).toMatchObject({ thp_collapse_alloc_failed: 1, thp_collapse_alloc: 0 });
      expect(madvise(k, t.mm, t.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(-12);
    });

    test("khugepagedEnterVma() needs an anon_vma: MADV_HUGEPAGE on never-written memory registers nothing", async () => {
      const k = await start();
      const untouched = k.createMm("untouched");
      const a = mmap(k, untouched, { len: PMD_SIZE });
      madvise(k, untouched, a.start, PMD_SIZE, "MADV_HUGEPAGE");
      expect(untouched.registered).toBe(false);
      // A read fault of a small page maps the zero page and creates no anon_vma either.
      const read = k.createMm("read");
      const b = mmap(k, read, { len: PMD_SIZE });
      touch(k, read, b.start, PAGE_SIZE, false);
      madvise(k, read, b.start, PMD_SIZE, "MADV_HUGEPAGE");
      expect(read.registered).toBe(false);
      madvise(k, read, b.start, PMD_SIZE, "MADV_NOHUGEPAGE");
      touch(k, read, b.start, PAGE_SIZE, true);
      expect(read.registered).toBe(false);
      madvise(k, read, b.start, PMD_SIZE, "MADV_HUGEPAGE");
      expect(read.registered).toBe(true);
      expect(k.khugepaged.slots).toEqual([read]);
    });

    test("a huge fault registers the mm even when it falls back to small pages", async () => {
      const k = await start({ memoryBytes: 4 * PMD_SIZE, fragmentation: 1 });
      const mm = k.createMm("t");
      const vma = mmap(k, mm, { len: PMD_SIZE, flags: VMA.VM_HUGEPAGE });
      touch(k, mm, vma.start, PAGE_SIZE, true);
      expect(k.vmstat.thp_fault_fallback).toBe(1);
      expect(mm.registered).toBe(true);
    });

    test("MADV_COLLAPSE does not register the mm; MADV_NOHUGEPAGE does not deregister it", async () => {
      const k = await start();
      const mm = k.createMm("t");
      const vma = mmap(k, mm, { len: 2 * PMD_SIZE, populate: true });
      expect(madvise(k, mm, vma.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
      expect(mm.registered).toBe(false);
      madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_HUGEPAGE");
      expect(mm.registered).toBe(true);
      madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_NOHUGEPAGE");
      expect(mm.registered).toBe(true);
      firstPass(k);
      advance(k, 3 * 10_240); // three idle periods on the HZ=250 wheel
      // Still on the list and rescanned every pass, but its only VMA is skipped.
      expect(k.khugepaged.slots).toEqual([mm]);
      expect(k.khugepaged.fullScans).toBe(4);
      expect(events(k, "mm_khugepaged_scan_pmd").filter((e) => e.comm === "khugepaged")).toEqual([]);
    });

    test("fork() registers the child when the parent is registered, and exitMm() removes an mm the cursor is not on", async () => {
      const k = await start();
      const parent = hotTask(k, "parent", 1);
      const child = fork(k, parent.mm, "child");
      expect(k.khugepaged.slots).toEqual([parent.mm, child]);
      exitMm(k, parent.mm);
      expect(k.khugepaged.slots).toEqual([child]);
      expect(parent.mm.registered).toBe(false);
      const loner = k.createMm("loner");
      fork(k, loner, "loner-child");
      expect(k.khugepaged.slots).toEqual([child]);
    });

    test("fork() gives the child old PTEs: only the pages the child wrote count as referenced", async () => {
      const k = await start();
      writeTunable(k.tunables, "khugepaged/max_ptes_shared", 511);
      const parent = hotTask(k, "parent", 1);
      const child = fork(k, parent.mm, "child");
      touch(k, child, parent.start, PAGE_SIZE, true); // COW: one private, young page
      exitMm(k, parent.mm);
      firstPass(k);
      // The parent exited first, so nothing is shared any more and the child collapses.
      expect(events(k, "mm_khugepaged_scan_pmd")).toMatchObject([{ referenced: 1, status: "succeeded" }]);
      expect(hugeIn(child, parent.start, PMD_SIZE)).toBe(1);
    });

    test("madviseCollapse() goes past a PMD without PTE table in 7.1 (SCAN_NO_PTE_TABLE is whitelisted) but stops in 6.18 (SCAN_PMD_NONE is not)", async () => {
      const k = await start();
      const mm = k.createMm("t");
      const vma = mmap(k, mm, { len: 3 * PMD_SIZE, align: PMD_SIZE });
      touch(k, mm, vma.start, PMD_SIZE, true);
      touch(k, mm, vma.start + 2 * PMD_SIZE, PMD_SIZE, true);
      // Both return -EINVAL (the last failure, no_pte_table/pmd_none, maps to it).
      expect(madvise(k, mm, vma.start, 3 * PMD_SIZE, "MADV_COLLAPSE")).toBe(-22);
      expect(hugeIn(mm, vma.start, 3 * PMD_SIZE)).toBe(v618 ? 1 : 2);
    });

    test("madviseCollapse() of a range inside one PMD: -EINVAL in 6.18 (unsigned compare), 0 in 7.1 (early return)", async () => {
      const k = await start();
      const t = hotTask(k, "t", 1);
      const ret = madvise(k, t.mm, t.start + PAGE_SIZE, PAGE_SIZE, "MADV_COLLAPSE");
      expect(ret).toBe(v618 ? -22 : 0);
      expect(hugeIn(t.mm, t.start, PMD_SIZE)).toBe(0);
    });

    test("madviseCollapse() fills an empty PTE table: no max_ptes_none for MADV_COLLAPSE", async () => {
      const k = await start();
      const mm = k.createMm("t");
      const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
      touch(k, mm, vma.start, PAGE_SIZE, true);
      madvise(k, mm, vma.start, PAGE_SIZE, "MADV_DONTNEED"); // the PTE table stays
      expect(madvise(k, mm, vma.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
      expect(smapsRollup(mm).AnonHugePages).toBe(2048);
      expect(events(k, "mm_collapse_huge_page_isolate")).toMatchObject([{ none_or_zero: 512, scan_pfn: -1 }]);
    });

    if (v618) {
      test("6.18 charges 512 per PMD: a pass scans 8 PMDs (1 + 8 × 512 > 4096)", async () => {
        const k = await start();
        // 16 PMDs with an anon_vma but no PTE table: pmd_none, which the 6.18 trace names "pmd_none".
        const mm = k.createMm("t");
        const vma = mmap(k, mm, { len: 16 * PMD_SIZE, align: PMD_SIZE });
        touch(k, mm, vma.start + 16 * PMD_SIZE - PAGE_SIZE, PAGE_SIZE, true);
        madvise(k, mm, vma.start + 15 * PMD_SIZE, PMD_SIZE, "MADV_DONTNEED");
        madvise(k, mm, vma.start, 16 * PMD_SIZE, "MADV_HUGEPAGE");
        firstPass(k);
        expect(statuses(k)).toEqual(Array(8).fill("pmd_none"));
        expect(k.tracer.ftrace()).toContain("status=pmd_none");
        expect(events(k, "mm_khugepaged_scan")).toEqual([]);
      });
    }

    if (variant.version === "7.1" && variant.lazyfreeSkip) {
      test("7.1 charges 1 per PTE examined (i + 1) and 1 per PMD-level result, in mm_khugepaged_scan", async () => {
        const k = await start();
        const mm = k.createMm("t");
        const vma = mmap(k, mm, { len: 4 * PMD_SIZE, align: PMD_SIZE });
        const at = (pmd: number, page = 0) => vma.start + pmd * PMD_SIZE + page * PAGE_SIZE;
        touch(k, mm, at(0), 100 * PAGE_SIZE, true); // PMD 0: pages 0-99, page 7 given back
        madvise(k, mm, at(0, 7), PAGE_SIZE, "MADV_FREE");
        touch(k, mm, at(2), PMD_SIZE, true); // PMD 1 untouched; PMD 2 made huge
        expect(madvise(k, mm, at(2), PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
        touch(k, mm, at(3), PMD_SIZE, true); // PMD 3 hot
        madvise(k, mm, vma.start, 4 * PMD_SIZE, "MADV_HUGEPAGE");
        firstPass(k);
        expect(statuses(k)).toEqual(["succeeded", "page_lazyfree", "no_pte_table", "page_pmd_mapped", "succeeded"]);
        // 1 (the mm) + 8 (PTEs 0-7) + 1 + 1 + 512 (the collapse drops mmap_lock: the call ends);
        // then 1 (the mm again) and the VMA is behind the cursor: the full scan ends.
        expect(events(k, "mm_khugepaged_scan")).toMatchObject([
          { progress: 1 + 8 + 1 + 1 + 512, full_scan_finished: false },
          { progress: 1, full_scan_finished: true },
        ]);
      });
    }

    for (const [, rule] of Object.entries({ ...RULE_SUITES, ...MTHP_RULE_SUITES })) if (rule.applies(variant)) rule.tests(start, variant);
  });
});

/** SCAN_SUCCEED's code. */
const S_SUCCEED = ScanResult.SUCCEED;

/**
 * A task whose 2 MiB VMA (64 kB madvise, the PMD size off) has its first 16 pages written
 * as 4 KiB pages, MADV_FREE'd and read again (clean lazy-free, young), the first one
 * written again when `redirty`; then MADV_HUGEPAGE. mTHP collapse meets one 64 KiB window.
 */
function lazyfreeWindow(k: KhugepagedKernel, name: string, redirty: boolean): { mm: Mm; start: number } {
  writeTunable(k.tunables, "hugepages-64kB/enabled", "madvise");
  writeTunable(k.tunables, "hugepages-2048kB/enabled", "never");
  const mm = k.createMm(name);
  const { start } = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
  touch(k, mm, start, 16 * PAGE_SIZE, true);
  madvise(k, mm, start, 16 * PAGE_SIZE, "MADV_FREE");
  touch(k, mm, start, 16 * PAGE_SIZE, false);
  if (redirty) touch(k, mm, start, PAGE_SIZE, true);
  madvise(k, mm, start, PMD_SIZE, "MADV_HUGEPAGE");
  return { mm, start };
}

function lazyfreeSkipTests(start: Start, variant: Variant): void {
  test("scanPmd() returns SCAN_PAGE_LAZYFREE for a clean lazy-free PTE outside VM_DROPPABLE", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start + 300 * PAGE_SIZE, PAGE_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start + 300 * PAGE_SIZE, PAGE_SIZE, false); // a read keeps it clean
    firstPass(k);
    expect(statuses(k)).toEqual(["page_lazyfree"]);
    // 7.1's accounting: the mm, then PTEs 0-300.
    if (variant.scanTraceEvent) expect(events(k, "mm_khugepaged_scan")[0]).toMatchObject({ progress: 1 + 301 });
    expect(smapsRollup(t.mm).LazyFree).toBe(4);
  });

  test("khugepaged collapses lazy-free memory in VM_DROPPABLE and the THP stays lazy-free", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1, VMA.VM_DROPPABLE);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PMD_SIZE, false);
    firstPass(k);
    expect(statuses(k)).toEqual(["succeeded"]);
    // The THP is not swap-backed, but its PMD is made dirty, so smaps counts no LazyFree.
    expect(t.mm.huge.get(t.start / PMD_SIZE)).toMatchObject({ swapbacked: false, dirty: true });
    expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
  });

  test("khugepaged collapses a lazy-free page the task wrote again (dirty PTE)", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PMD_SIZE, true);
    // !swapbacked until reclaim looks, but dirty: smaps counts no LazyFree.
    expect(smapsRollup(t.mm)).toMatchObject({ Rss: 2048, LazyFree: 0 });
    firstPass(k);
    expect(statuses(k)).toEqual(["succeeded"]);
    expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
  });

  test("MADV_COLLAPSE ignores the lazy-free skip and makes a swap-backed THP", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    expect(madvise(k, t.mm, t.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
  });

  if (!variant.mthpCollapse) return;

  test("lazyfree-skip under mTHP collapse: a 64 KiB window of clean lazy-free pages is skipped (SCAN_PAGE_LAZYFREE)", async () => {
    const k = await start();
    const a = lazyfreeWindow(k, "a", false);
    firstPass(k);
    expect(statuses(k)).toEqual(["page_lazyfree"]);
    expect(pteAt(a.mm, a.start).order).toBe(0);
    expect(smapsRollup(a.mm).LazyFree).toBe(64);
  });
}

function lazyfreeKeepTests(start: Start, variant: Variant): void {
  test("lazyfree-keep collapses an all-lazy-free PMD into a lazy-free THP, a partly lazy-free one into a swap-backed THP", async () => {
    const k = await start();
    const a = hotTask(k, "a", 1);
    const b = hotTask(k, "b", 1);
    for (const t of [a, b]) {
      madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
      touch(k, t.mm, t.start, PMD_SIZE, false);
    }
    touch(k, b.mm, b.start, PAGE_SIZE, true);
    firstPass(k);
    expect(statuses(k)).toEqual(["succeeded", "succeeded"]);
    expect(smapsRollup(a.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 2048 });
    expect(smapsRollup(b.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
  });

  test("lazyfree-keep's lazy-free THP is mapped clean, so reclaim drops it whole", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PMD_SIZE, false);
    firstPass(k);
    expect(t.mm.huge.get(t.start / PMD_SIZE)).toMatchObject({ swapbacked: false, dirty: false });
    reclaim(k, k.phys.freePages + 512);
    expect(t.mm.huge.size).toBe(0);
    expect(k.vmstat.pglazyfreed).toBe(512);
  });

  if (!variant.mthpCollapse) return;

  test("lazyfree-keep under mTHP collapse: an all-lazy-free 64 KiB window becomes a lazy-free folio mapped clean, which reclaim drops whole", async () => {
    const k = await start();
    const a = lazyfreeWindow(k, "a", false);
    const b = lazyfreeWindow(k, "b", true);
    const collapses: CollapseEvent[] = [];
    k.khugepaged.events.on("collapse", (e) => collapses.push(e));
    firstPass(k);
    expect(collapses.map((e) => [e.result, e.order, e.lazyfreePages])).toEqual([[S_SUCCEED, 4, 16], [S_SUCCEED, 4, 15]]);
    const pa = pteAt(a.mm, a.start), pb = pteAt(b.mm, b.start);
    expect([pa.order, pa.swapbacked, pa.dirty, pa.write]).toEqual([4, false, false, true]);
    expect([pb.order, pb.swapbacked, pb.dirty]).toEqual([4, true, true]);
    expect(smapsRollup(a.mm).LazyFree).toBe(64);
    expect(smapsRollup(b.mm).LazyFree).toBe(0);
    reclaim(k, k.phys.freePages + 16);
    expect(k.vmstat.pglazyfreed).toBe(16);
    expect(pteAt(a.mm, a.start).present).toBe(false);
    expect(pteAt(b.mm, b.start).order).toBe(4);
  });
}

function lazyfreeCollapseTests(start: Start): void {
  test("khugepaged collapses a lazy-free PMD the task has read since MADV_FREE into a swap-backed THP", async () => {
    const k = await start();
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PMD_SIZE, "MADV_FREE");
    touch(k, t.mm, t.start, PMD_SIZE, false);
    const collapses: CollapseEvent[] = [];
    k.khugepaged.events.on("collapse", (e) => collapses.push(e));
    firstPass(k);
    expect(statuses(k)).toEqual(["succeeded"]);
    // The collapse event carries what went into the THP: 512 clean lazy-free pages.
    expect(collapses).toMatchObject([{ type: "collapse", mm: t.mm, address: t.start, lazyfreePages: 512 }]);
    expect(smapsRollup(t.mm)).toMatchObject({ AnonHugePages: 2048, LazyFree: 0 });
  });
}

/**
 * max_ptes_none 384 with the sizes 16 kB … 1 MiB on and 2 MiB off, over one PMD whose first
 * four pages are written: the scaled rule collapses 64 kB, then 256 kB, then 1 MiB on later
 * scans (each collapse fills the next order's window enough to qualify); v18's rule treats
 * 384 as 0 for mTHP orders, so the four full pages become one 16 kB folio and stay so; before
 * 7.2 khugepaged has no mTHP collapse (and, the PMD size off, no work).
 */
function mthpRuleTests(start: Start, v: Variant): void {
  test("max_ptes_none 384: the scaled rule creeps up an order per collapse under mTHP collapse, the merged rule collapses the full 16 kB once", async () => {
    const k = await start();
    // madvise: the four pages written before MADV_HUGEPAGE fault as 4 KiB pages, not as a 1 MiB mTHP.
    for (const kb of [16, 32, 64, 128, 256, 512, 1024]) writeTunable(k.tunables, `hugepages-${kb}kB/enabled`, "madvise");
    writeTunable(k.tunables, "hugepages-2048kB/enabled", "never");
    writeTunable(k.tunables, "khugepaged/max_ptes_none", 384);
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, 4 * PAGE_SIZE, true);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 60_000);
    const done = events(k, "mm_collapse_huge_page").filter((e) => e.status === "succeeded").map((e) => e.order);
    expect(done).toEqual(!v.mthpCollapse ? [] : v.mthpMaxNone === "scaled" ? [4, 6, 8] : [2]);
  });
}
