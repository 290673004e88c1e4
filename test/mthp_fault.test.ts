/**
 * Anonymous faults with multi-size THP (mm/memory.c alloc_anon_folio() and
 * do_anonymous_page()): a write fault on a none PTE maps a folio of the largest enabled
 * order whose naturally aligned window fits the VMA, has every PTE none and can be
 * allocated, falling back order by order to 4 KiB, and counts
 * hugepages-<N>kB/stats/anon_fault_{alloc,fallback}.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { writeTunable } from "../host/kernel/tunables.ts";
import { VMA } from "../host/core/layout.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import { exitMm, fork } from "../host/mm/process.ts";
import type { Mm } from "../host/mm/mm.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, tsEngine } from "../host/run/mod.ts";
import { type ScenarioInput, validateScenario } from "../host/scenario/mod.ts";
import { boot, CORES, pteAt } from "./khugepaged_fixture.ts";

const KB = 1024;
const core = CORES[0];

/** The folio order of each PTE in [start, start + len): -1 for a PTE that maps nothing or the zero page. */
function orders(mm: Mm, start: number, len: number): number[] {
  return Array.from({ length: len / PAGE_SIZE }, (_, i) => {
    const p = pteAt(mm, start + i * PAGE_SIZE);
    return p.present && !p.zero ? p.order : -1;
  });
}

/** `n` copies of `order`. */
const run = (order: number, n: number): number[] => Array<number>(n).fill(order);

/** A kernel with the PMD size off (so faults go to the PTE path) and `sizes` set. */
async function kernel(sizes: Record<string, string>, o: { enabled?: string; memoryBytes?: number; fragmentation?: number } = {}) {
  return boot(core, {
    variant: "7.2", memoryBytes: o.memoryBytes, fragmentation: o.fragmentation,
    sysfs: { enabled: o.enabled ?? "always", "hugepages-2048kB/enabled": "never", ...sizes },
  });
}

describe("order choice", () => {
  test("a write maps a folio of the largest enabled size over the naturally aligned window around the address", async () => {
    const k = await kernel({ "hugepages-16kB/enabled": "always", "hugepages-64kB/enabled": "always", "hugepages-256kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    // PTE 100 lies in the 256 KiB window of PTEs 64-127.
    touch(k, mm, vma.start + 100 * PAGE_SIZE, PAGE_SIZE, true);
    expect(orders(mm, vma.start, PMD_SIZE)).toEqual([...run(-1, 64), ...run(6, 64), ...run(-1, 384)]);
    const head = pteAt(mm, vma.start + 64 * PAGE_SIZE).pfn;
    expect(head % 64).toBe(0);
    for (let i = 0; i < 64; i++) {
      const p = pteAt(mm, vma.start + (64 + i) * PAGE_SIZE);
      expect([p.pfn, p.dirty, p.write, p.young, p.mapcount]).toEqual([head + i, true, true, true, 1]);
    }
    expect(k.mthpStats[256].anon_fault_alloc).toBe(1);
    expect(k.mthpStats[64].anon_fault_alloc + k.mthpStats[16].anon_fault_alloc).toBe(0);
    expect(k.phys.freePages).toBe(k.phys.totalPages - 1 - 64);
  });

  test("a write sweep over 2 MiB faults once per folio: 32 folios of 64 KiB", async () => {
    const k = await kernel({ "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PMD_SIZE, true);
    expect(orders(mm, vma.start, PMD_SIZE)).toEqual(run(4, 512));
    expect(k.mthpStats[64]).toMatchObject({ anon_fault_alloc: 32, anon_fault_fallback: 0 });
  });

  test("a read fault maps the zero page, never an mTHP", async () => {
    const k = await kernel({ "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, 16 * PAGE_SIZE, false);
    expect(pteAt(mm, vma.start).zero).toBe(true);
    expect(k.mthpStats[64].anon_fault_alloc).toBe(0);
  });
});

describe("window suitability", () => {
  test("a window that would cross the VMA's start falls back to the size that fits", async () => {
    const k = await kernel({ "hugepages-16kB/enabled": "always", "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    // [1 GiB + 48 KiB, 1 GiB + 128 KiB): the start is 16 KiB- but not 64 KiB-aligned.
    const vma = { start: 2 ** 30 + 48 * KB, end: 2 ** 30 + 128 * KB, flags: VMA.VM_WRITE, anonVma: false };
    mm.pt.cover(2 ** 30 / PMD_SIZE, 2 ** 30 / PMD_SIZE + 1);
    mm.insertVma(vma);
    touch(k, mm, vma.start, 80 * KB, true);
    expect(orders(mm, vma.start, 80 * KB)).toEqual([...run(2, 4), ...run(4, 16)]);
    expect(k.mthpStats[16].anon_fault_alloc).toBe(1);
    // An unsuitable size is not tried: no fallback is counted for it.
    expect(k.mthpStats[64]).toMatchObject({ anon_fault_alloc: 1, anon_fault_fallback: 0 });
  });

  test("a window that would cross the VMA's end falls back, down to 4 KiB pages where no enabled size fits", async () => {
    const k = await kernel({ "hugepages-16kB/enabled": "always", "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: 84 * KB, align: PMD_SIZE });
    touch(k, mm, vma.start, 84 * KB, true);
    // 21 pages: a 64 KiB folio, a 16 KiB one, and a 4 KiB page (its 16 KiB window ends past the VMA).
    expect(orders(mm, vma.start, 84 * KB)).toEqual([...run(4, 16), ...run(2, 4), 0]);
  });

  test("a window holding any PTE (a 4 KiB page, the zero page) is not used; a smaller all-none window is", async () => {
    const k = await kernel({ "hugepages-16kB/enabled": "always", "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    // A read of PTE 1 maps the zero page into the 64 KiB window of PTEs 0-15.
    touch(k, mm, vma.start + PAGE_SIZE, PAGE_SIZE, false);
    touch(k, mm, vma.start + 8 * PAGE_SIZE, PAGE_SIZE, true);
    expect(orders(mm, vma.start, 16 * PAGE_SIZE)).toEqual([...run(-1, 8), ...run(2, 4), ...run(-1, 4)]);
    // The write to PTE 0's window (PTE 1 is the zero page) maps a 4 KiB page.
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(pteAt(mm, vma.start).order).toBe(0);
    expect(k.mthpStats[64]).toMatchObject({ anon_fault_alloc: 0, anon_fault_fallback: 0 });
  });
});

test("faultAnonFolio() picks the largest enabled order whose aligned window lies in the VMA with every PTE none (random VMAs, sizes and PTEs)", async () => {
  const k = await kernel({});
  await fc.assert(fc.asyncProperty(
    fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 256 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 511 }), { maxLength: 12 }), fc.nat(),
    async (on, first, pages, written, pick) => {
      const mm = k.createMm("t");
      const base = 2 ** 30;
      mm.pt.cover(base / PMD_SIZE, base / PMD_SIZE + 1);
      const vma = { start: base + first * PAGE_SIZE, end: base + (first + pages) * PAGE_SIZE, flags: VMA.VM_WRITE, anonVma: false };
      mm.insertVma(vma);
      // The pages written before any mTHP size is on are 4 KiB pages.
      for (let o = 2; o <= 8; o++) writeTunable(k.tunables, `hugepages-${4 << o}kB/enabled`, "never");
      const inVma = written.filter((i) => i >= first && i < first + pages);
      const none = Array.from({ length: pages }, (_, j) => first + j).filter((i) => !inVma.includes(i));
      // A VMA written all over has no none PTE to fault; returning before writing keeps its pages out of the pool check below.
      if (none.length === 0) return;
      for (const i of inVma) touch(k, mm, base + i * PAGE_SIZE, PAGE_SIZE, true);
      for (let o = 2; o <= 8; o++) writeTunable(k.tunables, `hugepages-${4 << o}kB/enabled`, on[o - 2] ? "always" : "never");
      const at = none[pick % none.length];
      let expected = 0;
      for (let o = 8; o >= 2 && expected === 0; o--) {
        const lo = (at >> o) << o, hi = lo + (1 << o);
        if (on[o - 2] && lo >= first && hi <= first + pages && !inVma.some((i) => i >= lo && i < hi)) expected = o;
      }
      const allocs = expected === 0 ? 0 : k.mthpStats[(4 << expected) as 16].anon_fault_alloc;
      touch(k, mm, base + at * PAGE_SIZE, PAGE_SIZE, true);
      const lo = (at >> expected) << expected;
      expect(orders(mm, base + lo * PAGE_SIZE, PAGE_SIZE << expected)).toEqual(run(expected, 1 << expected));
      if (expected > 0) expect(k.mthpStats[(4 << expected) as 16].anon_fault_alloc).toBe(allocs + 1);
      madvise(k, mm, vma.start, vma.end - vma.start, "MADV_DONTNEED");
    },
  ), { numRuns: 80 });
  // Every page the runs faulted went back to the pool.
  expect(k.phys.freePages).toBe(k.phys.totalPages - 1);
});

describe("fallback when the pool has no run of a size", () => {
  /** Memory of two 2 MiB blocks, every page taken but for PTE-aligned runs of `freeOrder` in block 1. */
  async function fragmented(sizes: Record<string, string>, freeOrder: number) {
    const k = await kernel(sizes, { memoryBytes: 2 * PMD_SIZE });
    const taken = Array.from({ length: 1023 }, () => k.phys.allocPage());
    // Free one aligned run of 2^freeOrder pages out of every 2^(freeOrder + 1) in block 1.
    for (const pfn of taken) if (pfn >= 512 && (pfn & (2 << freeOrder) - 1) < 1 << freeOrder) k.phys.freePage(pfn);
    return k;
  }

  test("a failed 64 KiB allocation counts anon_fault_fallback and maps 16 KiB from the runs that are free", async () => {
    const k = await fragmented({ "hugepages-16kB/enabled": "always", "hugepages-64kB/enabled": "always" }, 2);
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(orders(mm, vma.start, 16 * PAGE_SIZE)).toEqual([...run(2, 4), ...run(-1, 12)]);
    expect(k.mthpStats[64]).toMatchObject({ anon_fault_alloc: 0, anon_fault_fallback: 1 });
    expect(k.mthpStats[16]).toMatchObject({ anon_fault_alloc: 1, anon_fault_fallback: 0 });
  });

  test("with no smaller size enabled the fault falls back to a 4 KiB page", async () => {
    const k = await fragmented({ "hugepages-64kB/enabled": "always" }, 2);
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(orders(mm, vma.start, 2 * PAGE_SIZE)).toEqual([0, -1]);
    expect(k.mthpStats[64].anon_fault_fallback).toBe(1);
  });

  test("a failed PMD-sized fault (every block fragmented) counts its fallback at 2048 kB and goes on to the mTHP sizes", async () => {
    const k = await boot(core, {
      variant: "7.2", memoryBytes: 8 * PMD_SIZE, fragmentation: 1,
      sysfs: { enabled: "always", "hugepages-64kB/enabled": "always" },
    });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(k.vmstat.thp_fault_fallback).toBe(1);
    expect(k.mthpStats[2048]).toMatchObject({ anon_fault_alloc: 0, anon_fault_fallback: 1 });
    expect(pteAt(mm, vma.start).order).toBe(4);
    expect(k.mthpStats[64].anon_fault_alloc).toBe(1);
  });

  test("a PMD-sized fault counts anon_fault_alloc at 2048 kB beside thp_fault_alloc", async () => {
    const k = await boot(core, { variant: "7.2", sysfs: { enabled: "always" } });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(mm.huge.size).toBe(1);
    expect([k.vmstat.thp_fault_alloc, k.mthpStats[2048].anon_fault_alloc]).toEqual([1, 1]);
  });

  test("zapping an mTHP gives every page of it back to the pool", async () => {
    const k = await kernel({ "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    const free = k.phys.freePages;
    touch(k, mm, vma.start, PMD_SIZE, true);
    expect(k.phys.freePages).toBe(free - 512);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_DONTNEED");
    expect(k.phys.freePages).toBe(free);
    expect(k.phys.freeHugeBlocks).toBe(k.phys.totalPages / 512 - 1);
  });
});

test("an mTHP shared by fork goes back to the pool page by page once one side has let go of it", async () => {
  const k = await kernel({ "hugepages-64kB/enabled": "always" });
  const mm = k.createMm("parent");
  const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
  // With block 0 full, the folios come from a whole block, the first at its head.
  for (let i = 0; i < 511; i++) k.phys.allocPage();
  touch(k, mm, vma.start, 32 * PAGE_SIZE, true);
  expect(pteAt(mm, vma.start).pfn % 512).toBe(0);
  const child = fork(k, mm, "child");
  // The parent writes the first folio: COW gives it 4 KiB copies, the child keeps the folio alone.
  touch(k, mm, vma.start, 16 * PAGE_SIZE, true);
  expect(orders(mm, vma.start, 16 * PAGE_SIZE)).toEqual(run(0, 16));
  expect(orders(child, vma.start, 16 * PAGE_SIZE)).toEqual(run(4, 16));
  exitMm(k, child);
  // Every free page can be handed out, each once, none of them one the parent still maps.
  const mapped = new Set(Array.from({ length: 32 }, (_, i) => pteAt(mm, vma.start + i * PAGE_SIZE).pfn));
  const pages = Array.from({ length: k.phys.freePages }, () => k.phys.allocPage());
  expect(new Set(pages).size).toBe(pages.length);
  expect(pages.every((pfn) => pfn > 0 && pfn < k.phys.totalPages && !mapped.has(pfn))).toBe(true);
  expect(k.phys.allocPage()).toBe(-1);
});

describe("per-size enabled: inherit, madvise, never", () => {
  /** The order a write at the start of a fresh 2 MiB VMA (with `flags`) maps. */
  async function faultOrder(top: string, perSize: string, flags = 0): Promise<number> {
    const k = await kernel({ "hugepages-64kB/enabled": perSize }, { enabled: top });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, flags });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    return pteAt(mm, vma.start).order;
  }

  test.each([
    ["always", "inherit", 0, 4], ["madvise", "inherit", 0, 0], ["madvise", "inherit", VMA.VM_HUGEPAGE, 4],
    ["never", "inherit", VMA.VM_HUGEPAGE, 0], ["never", "always", 0, 4], ["always", "madvise", 0, 0],
    ["never", "madvise", VMA.VM_HUGEPAGE, 4], ["always", "never", VMA.VM_HUGEPAGE, 0], ["always", "always", VMA.VM_NOHUGEPAGE, 0],
  ])("top-level %s, hugepages-64kB %s, VMA flags %i: order %i", async (top, perSize, flags, order) => {
    expect(await faultOrder(top, perSize, flags)).toBe(order);
  });

  test("MADV_HUGEPAGE after the mmap makes a madvise size fault in", async () => {
    const k = await kernel({ "hugepages-64kB/enabled": "madvise" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    touch(k, mm, vma.start + 16 * PAGE_SIZE, PAGE_SIZE, true);
    expect([pteAt(mm, vma.start).order, pteAt(mm, vma.start + 16 * PAGE_SIZE).order]).toEqual([0, 4]);
  });

  test("a userfaultfd-armed VMA faults 4 KiB pages whatever is enabled", async () => {
    const k = await kernel({ "hugepages-64kB/enabled": "always" });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE, flags: VMA.VM_UFFD_ARMED });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    expect(pteAt(mm, vma.start).order).toBe(0);
  });
});

test("a 7.2 run reports the fault counters among its per-size stats", async () => {
  const { memory } = await createCore({ maxBytes: 256 * 1024 * 1024 });
  const s = {
    name: "mthp-fault", variants: ["7.2"], durationS: 1, tunables: { enabled: "madvise", "hugepages-64kB/enabled": "always" },
    memory: { totalBytes: 64 * 1024 * 1024 },
    tasks: [{ name: "t", vmas: [{ name: "buf", size: 4 * 1024 * 1024, populate: true }], steps: [] }],
  } as ScenarioInput;
  const r = await runScenario(validateScenario(s), tsEngine(memory));
  // 4 MiB of 64 KiB folios; the PMD size inherits madvise and the VMA is not madvised.
  expect(r.khugepaged.mthpStats).toEqual({ "hugepages-64kB": { anon_fault_alloc: 64 } });
});
