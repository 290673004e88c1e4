/**
 * One suite of hand-built PMDs, run against every scan core: the TypeScript twin, the
 * WASM scalar core and the WASM SIMD core. Expectations follow the kernel spec,
 * /work/shared/spec/khugepaged.md §5 (scan) and §7 (isolate).
 */
import { describe, expect, test } from "vitest";
import { PFN_NONE, PMD, PTES_PER_PMD, RECORD, SCAN_FLAG, VMA } from "../host/core/layout.ts";
import type { PteFields } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import {
  anon, isolateTable, pmdOf, readRecord, scanCores, scanEntries, scanTable, tableEntry, writeDirectory, writeTable,
} from "./scan_fixture.ts";

const { memory, cores } = await scanCores(64 * 1024 * 1024);

/** Head pfn of the test PMDs: 2 MiB aligned, so an order-9 folio can start there. */
const B = 0x40000;
const KHUGEPAGED = SCAN_FLAG.KHUGEPAGED;
const LAZYFREE_SKIP = SCAN_FLAG.LAZYFREE_SKIP;
const MADV_COLLAPSE = 0;

const old = (pfn: number, extra: PteFields = {}): PteFields => anon(pfn, { young: false, ...extra });
const swapEntry = (slot: number, extra: PteFields = {}): PteFields => ({ swap: true, pfn: slot, ...extra });
const zeroPage: PteFields = { present: true, zero: true, pfn: 1 };
/** A clean lazy-free page: MADV_FREE cleared swapbacked and the dirty bit. */
const lazy = (pfn: number, extra: PteFields = {}): PteFields => anon(pfn, { swapbacked: false, dirty: false, ...extra });

/** The record of a PMD of 512 young, writable, private anonymous pages from pfn B, scanned or isolated. */
const FULL_PMD_RECORD = {
  result: "SCAN_SUCCEED", ptesExamined: 512, referenced: 512, noneOrZero: 0, unmapped: 0, writable: 512,
  shared: 0, pfn: B + 511, address: 1n << 21n,
};

describe.each(cores.map((core): [string, ScanCore] => [core.name, core]))("%s core", (_name, core) => {
  const scan = (ptes: Array<PteFields | null>, params = {}) => scanTable(memory, core, ptes, params);
  const isolate = (ptes: Array<PteFields | null>, params = {}) => isolateTable(memory, core, ptes, params);

  describe("scanPmds()", () => {
    test("scanPmds() returns SCAN_SUCCEED for a full PMD of young private anon pages", () => {
      expect(scan(pmdOf(B))).toEqual(FULL_PMD_RECORD);
    });

    test("scanPmds() tolerates max_ptes_none empty PTEs and zero pages", () => {
      const r = scan(pmdOf(B, (i) => (i % 64 === 0 ? null : i === 7 ? zeroPage : undefined)), { maxPtesNone: 9 });
      expect(r).toMatchObject({ result: "SCAN_SUCCEED", ptesExamined: 512, noneOrZero: 9, referenced: 503 });
    });

    test("scanPmds() returns SCAN_EXCEED_NONE_PTE at max_ptes_none + 1 empty PTEs", () => {
      const r = scan(pmdOf(B, (i) => (i % 64 === 0 || i === 500 ? null : undefined)), { maxPtesNone: 8 });
      expect(r).toMatchObject({ result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 501, noneOrZero: 9, pfn: B + 499 });
    });

    test("scanPmds() counts a zero-page PTE against max_ptes_none", () => {
      const r = scan(pmdOf(B, (i) => (i < 8 ? null : i === 8 ? zeroPage : undefined)), { maxPtesNone: 8 });
      expect(r).toMatchObject({ result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 9, noneOrZero: 9, pfn: PFN_NONE });
    });

    test("scanPmds() accepts 511 empty PTEs at the default max_ptes_none and rejects 512", () => {
      expect(scan(pmdOf(B, (i) => (i === 300 ? undefined : null)))).toMatchObject({
        result: "SCAN_SUCCEED", noneOrZero: 511, referenced: 1, pfn: B + 300,
      });
      expect(scan(pmdOf(B, () => null))).toMatchObject({
        result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 512, noneOrZero: 512, pfn: PFN_NONE,
      });
    });

    test("scanPmds() tolerates max_ptes_swap swap entries", () => {
      const r = scan(pmdOf(B, (i) => (i % 100 === 10 ? swapEntry(i) : undefined)), { maxPtesSwap: 6 });
      expect(r).toMatchObject({ result: "SCAN_SUCCEED", unmapped: 6, referenced: 506 });
    });

    test("scanPmds() returns SCAN_EXCEED_SWAP_PTE at max_ptes_swap + 1 swap entries", () => {
      const r = scan(pmdOf(B, (i) => (i % 100 === 10 ? swapEntry(i) : undefined)), { maxPtesSwap: 5 });
      expect(r).toMatchObject({ result: "SCAN_EXCEED_SWAP_PTE", ptesExamined: 511, unmapped: 6, pfn: B + 509 });
    });

    test("scanPmds() returns SCAN_LACK_REFERENCED_PAGE with swap entries and fewer than 256 referenced", () => {
      const ptes = (young: number) =>
        pmdOf(B, (i) => (i >= 508 ? swapEntry(i) : i < young ? undefined : old(B + i)));
      expect(scan(ptes(255))).toMatchObject({ result: "SCAN_LACK_REFERENCED_PAGE", referenced: 255, unmapped: 4 });
      expect(scan(ptes(256))).toMatchObject({ result: "SCAN_SUCCEED", referenced: 256, unmapped: 4 });
    });

    test("scanPmds() tolerates max_ptes_shared shared pages", () => {
      const r = scan(pmdOf(B, (i) => (i >= 100 && i < 103 ? anon(B + i, { mapcount: 2 }) : undefined)),
        { maxPtesShared: 3 });
      expect(r).toMatchObject({ result: "SCAN_SUCCEED", shared: 3 });
    });

    test("scanPmds() returns SCAN_EXCEED_SHARED_PTE at max_ptes_shared + 1 shared pages", () => {
      const r = scan(pmdOf(B, (i) => (i >= 100 && i < 104 ? anon(B + i, { mapcount: 2 }) : undefined)),
        { maxPtesShared: 3 });
      expect(r).toMatchObject({ result: "SCAN_EXCEED_SHARED_PTE", ptesExamined: 104, shared: 4, pfn: B + 103 });
    });

    test("scanPmds() returns SCAN_LACK_REFERENCED_PAGE when no page is young or referenced", () => {
      expect(scan(pmdOf(B, (i) => old(B + i)))).toMatchObject({
        result: "SCAN_LACK_REFERENCED_PAGE", ptesExamined: 512, referenced: 0,
      });
    });

    test("scanPmds() counts a folio's referenced flag as a reference", () => {
      const r = scan(pmdOf(B, (i) => old(B + i, { referenced: i === 42 })));
      expect(r).toMatchObject({ result: "SCAN_SUCCEED", referenced: 1 });
    });

    describe("lazy-free folios", () => {
      const ptes = pmdOf(B, (i) => (i === 100 ? lazy(B + i) : undefined));
      test("scanPmds() returns SCAN_PAGE_LAZYFREE for a clean lazy-free folio outside VM_DROPPABLE", () => {
        expect(scan(ptes, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP })).toMatchObject({
          result: "SCAN_PAGE_LAZYFREE", ptesExamined: 101, referenced: 100, pfn: B + 100,
        });
      });
      test("scanPmds() collapses a clean lazy-free folio without the LAZYFREE_SKIP flag (baseline)", () => {
        expect(scan(ptes, { scanFlags: KHUGEPAGED })).toMatchObject({ result: "SCAN_SUCCEED", ptesExamined: 512 });
      });
      test("scanPmds() does not skip a lazy-free folio in a VM_DROPPABLE VMA", () => {
        expect(scan(ptes, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP, vmaFlags: VMA.VM_DROPPABLE }))
          .toMatchObject({ result: "SCAN_SUCCEED" });
      });
      test("scanPmds() does not skip a lazy-free folio written again (dirty PTE)", () => {
        const dirty = pmdOf(B, (i) => (i === 100 ? lazy(B + i, { dirty: true }) : undefined));
        expect(scan(dirty, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP })).toMatchObject({ result: "SCAN_SUCCEED" });
      });
      test("scanPmds() does not skip a lazy-free folio under MADV_COLLAPSE", () => {
        expect(scan(ptes, { scanFlags: LAZYFREE_SKIP })).toMatchObject({ result: "SCAN_SUCCEED", referenced: 0 });
      });
      test("scanPmds() returns SCAN_PAGE_ANON, not SCAN_PAGE_LAZYFREE, for a file folio", () => {
        const file = pmdOf(B, (i) => (i === 100 ? anon(B + i, { anon: false, swapbacked: false, dirty: false }) : undefined));
        expect(scan(file, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP })).toMatchObject({
          result: "SCAN_PAGE_ANON", ptesExamined: 101,
        });
      });
    });

    test.each([
      ["SCAN_PAGE_LOCK", "a locked folio", { locked: true }],
      ["SCAN_PAGE_COUNT", "a pinned folio", { pins: 1 }],
      ["SCAN_PAGE_LRU", "a folio not on the LRU", { lru: false }],
      ["SCAN_PAGE_ANON", "a non-anonymous folio", { anon: false }],
    ] as const)("scanPmds() returns %s for %s", (result, _what, extra) => {
      const r = scan(pmdOf(B, (i) => (i === 7 ? anon(B + i, extra) : undefined)));
      expect(r).toMatchObject({ result, ptesExamined: 8, referenced: 7, pfn: B + 7 });
    });

    test("scanPmds() returns SCAN_PAGE_NULL for a special mapping and keeps the previous folio's pfn", () => {
      const special: PteFields = { present: true, special: true, pfn: 0x99 };
      expect(scan(pmdOf(B, (i) => (i === 5 ? special : undefined)))).toMatchObject({
        result: "SCAN_PAGE_NULL", ptesExamined: 6, writable: 5, pfn: B + 4,
      });
      expect(scan(pmdOf(B, (i) => (i === 0 ? special : undefined)))).toMatchObject({
        result: "SCAN_PAGE_NULL", ptesExamined: 1, pfn: PFN_NONE,
      });
    });

    test("scanPmds() returns SCAN_PTE_UFFD_WP for a present uffd-wp PTE", () => {
      expect(scan(pmdOf(B, (i) => (i === 9 ? anon(B + i, { uffdWp: true }) : undefined)))).toMatchObject({
        result: "SCAN_PTE_UFFD_WP", ptesExamined: 10, pfn: B + 8,
      });
    });

    test("scanPmds() returns SCAN_PTE_UFFD_WP for a uffd-wp swap marker within max_ptes_swap", () => {
      const ptes = pmdOf(B, (i) => (i === 9 ? swapEntry(3, { uffdWp: true }) : undefined));
      expect(scan(ptes)).toMatchObject({ result: "SCAN_PTE_UFFD_WP", ptesExamined: 10, unmapped: 1 });
      // The swap limit is tested before the marker.
      expect(scan(ptes, { maxPtesSwap: 0 })).toMatchObject({ result: "SCAN_EXCEED_SWAP_PTE", ptesExamined: 10 });
    });

    test("scanPmds() returns SCAN_EXCEED_NONE_PTE for one empty PTE in a uffd-armed VMA, under MADV_COLLAPSE too", () => {
      const ptes = pmdOf(B, (i) => (i === 200 ? null : undefined));
      for (const scanFlags of [KHUGEPAGED, MADV_COLLAPSE]) {
        expect(scan(ptes, { vmaFlags: VMA.VM_UFFD_ARMED, scanFlags })).toMatchObject({
          result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 201, noneOrZero: 1,
        });
      }
    });

    test("scanPmds() ignores every threshold and the referenced rule under MADV_COLLAPSE", () => {
      const ptes = pmdOf(B, (i) => (i < 300 ? null : i < 400 ? swapEntry(i) : old(B + i, { mapcount: 3 })));
      expect(scan(ptes, { scanFlags: MADV_COLLAPSE, maxPtesNone: 0, maxPtesSwap: 0, maxPtesShared: 0 }))
        .toMatchObject({
          result: "SCAN_SUCCEED", ptesExamined: 512, noneOrZero: 300, unmapped: 100, shared: 112, referenced: 0,
        });
    });

    test("scanPmds() returns SCAN_SUCCEED for an order-9 folio mapped by PTEs, with the head pfn", () => {
      expect(scan(pmdOf(B, (i) => anon(B + i, { order: 9 })))).toMatchObject({
        result: "SCAN_SUCCEED", referenced: 512, pfn: B,
      });
    });

    test("scanPmds() reports the head pfn of the last of several order-4 folios", () => {
      expect(scan(pmdOf(B, (i) => anon(B + i, { order: 4 })))).toMatchObject({ result: "SCAN_SUCCEED", pfn: B + 496 });
    });

    test("scanPmds() returns SCAN_NO_PTE_TABLE for pmd_none, having examined no PTE", () => {
      expect(scanEntries(memory, core, [0])).toEqual([{
        result: "SCAN_NO_PTE_TABLE", ptesExamined: 0, referenced: 0, noneOrZero: 0, unmapped: 0, writable: 0,
        shared: 0, pfn: 0xffffffff, address: 1n << 21n,
      }]);
    });

    test("scanPmds() returns SCAN_PMD_MAPPED for a huge PMD and a PMD migration entry", () => {
      const recs = scanEntries(memory, core, [PMD.HUGE | (B >>> 9), PMD.MIGRATION]);
      for (const r of recs) expect(r).toMatchObject({ result: "SCAN_PMD_MAPPED", ptesExamined: 0, pfn: PFN_NONE });
    });

    test("scanPmds() sets ptesExamined to i + 1 at the failing PTE i", () => {
      for (const i of [0, 1, 3, 4, 7, 8, 255, 511]) {
        const r = scan(pmdOf(B, (j) => (j === i ? anon(B + j, { locked: true }) : undefined)));
        expect(r).toMatchObject({ result: "SCAN_PAGE_LOCK", ptesExamined: i + 1, referenced: i });
      }
    });

    test("scanPmds() writes address = pmdNo << 21 for each PMD of a batch, above 4 GiB too", () => {
      const recs = scanEntries(memory, core, [0, 0, 0], 2047);
      expect(recs.map((r) => r.address)).toEqual([2047n << 21n, 2048n << 21n, 2049n << 21n]);
      expect(scanEntries(memory, core, [0], 0x7ffffff)[0].address).toBe(0x7ffffffn << 21n);
    });

    test("scanPmds() scans `count` entries from `first`, one record per PMD", () => {
      const full = tableEntry(writeTable(memory, pmdOf(B)));
      const dir = writeDirectory(memory, [PMD.HUGE, 0, full, PMD.HUGE]);
      const ring = memory.alloc(2 * RECORD.BYTES, RECORD.BYTES);
      core.scanPmds(dir, 1, 2, 10, 511, 64, 256, 0, KHUGEPAGED, ring);
      expect([readRecord(memory, ring), readRecord(memory, ring + RECORD.BYTES)]).toMatchObject([
        { result: "SCAN_NO_PTE_TABLE", address: 10n << 21n },
        { result: "SCAN_SUCCEED", ptesExamined: PTES_PER_PMD, address: 11n << 21n },
      ]);
    });
  });

  describe("isolatePmd()", () => {
    test("isolatePmd() returns SCAN_SUCCEED for a full PMD of young private anon pages", () => {
      expect(isolate(pmdOf(B))).toEqual(FULL_PMD_RECORD);
    });

    test("isolatePmd() returns SCAN_PTE_NON_PRESENT for a swap entry (no swap tolerance)", () => {
      expect(isolate(pmdOf(B, (i) => (i === 3 ? swapEntry(1) : undefined)))).toMatchObject({
        result: "SCAN_PTE_NON_PRESENT", ptesExamined: 4, unmapped: 0,
      });
    });

    test("isolatePmd() returns SCAN_DEL_PAGE_LRU for a folio not on the LRU", () => {
      expect(isolate(pmdOf(B, (i) => (i === 3 ? anon(B + i, { lru: false }) : undefined)))).toMatchObject({
        result: "SCAN_DEL_PAGE_LRU", ptesExamined: 4, pfn: B + 3,
      });
    });

    test.each([
      ["SCAN_PAGE_LOCK", "a locked folio", { locked: true }],
      ["SCAN_PAGE_COUNT", "a pinned folio", { pins: 2 }],
      ["SCAN_PAGE_ANON", "a non-anonymous folio", { anon: false, swapbacked: false, dirty: false }],
      ["SCAN_PTE_UFFD_WP", "a uffd-wp PTE", { uffdWp: true }],
    ] as const)("isolatePmd() returns %s for %s", (result, _what, extra) => {
      const r = isolate(pmdOf(B, (i) => (i === 3 ? anon(B + i, extra) : undefined)),
        { scanFlags: KHUGEPAGED | LAZYFREE_SKIP });
      expect(r).toMatchObject({ result, ptesExamined: 4 });
    });

    test("isolatePmd() returns SCAN_PAGE_LAZYFREE for a page freed with MADV_FREE since the scan", () => {
      const ptes = pmdOf(B, (i) => (i === 3 ? lazy(B + i) : undefined));
      expect(isolate(ptes, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP })).toMatchObject({
        result: "SCAN_PAGE_LAZYFREE", ptesExamined: 4,
      });
      expect(isolate(ptes, { scanFlags: KHUGEPAGED })).toMatchObject({ result: "SCAN_SUCCEED" });
      expect(isolate(ptes, { scanFlags: KHUGEPAGED | LAZYFREE_SKIP, vmaFlags: VMA.VM_DROPPABLE }))
        .toMatchObject({ result: "SCAN_SUCCEED" });
    });

    test("isolatePmd() returns SCAN_LACK_REFERENCED_PAGE with zero referenced, and needs only one", () => {
      expect(isolate(pmdOf(B, (i) => old(B + i)))).toMatchObject({ result: "SCAN_LACK_REFERENCED_PAGE", referenced: 0 });
      expect(isolate(pmdOf(B, (i) => old(B + i, { young: i === 0 })))).toMatchObject({
        result: "SCAN_SUCCEED", referenced: 1,
      });
      expect(isolate(pmdOf(B, (i) => old(B + i)), { scanFlags: MADV_COLLAPSE })).toMatchObject({
        result: "SCAN_SUCCEED",
      });
    });

    test("isolatePmd() applies max_ptes_none and max_ptes_shared to khugepaged only", () => {
      const ptes = pmdOf(B, (i) => (i < 3 ? null : i < 7 ? anon(B + i, { mapcount: 2 }) : undefined));
      expect(isolate(ptes, { maxPtesNone: 2 })).toMatchObject({ result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 3 });
      expect(isolate(ptes, { maxPtesShared: 3 })).toMatchObject({
        result: "SCAN_EXCEED_SHARED_PTE", ptesExamined: 7, shared: 4,
      });
      expect(isolate(ptes, { maxPtesNone: 0, maxPtesShared: 0, scanFlags: MADV_COLLAPSE })).toMatchObject({
        result: "SCAN_SUCCEED", noneOrZero: 3, shared: 4,
      });
      expect(isolate(ptes, { vmaFlags: VMA.VM_UFFD_ARMED, scanFlags: MADV_COLLAPSE })).toMatchObject({
        result: "SCAN_EXCEED_NONE_PTE", ptesExamined: 1,
      });
    });

    test("isolatePmd() isolates an order-9 folio once and reports its head pfn", () => {
      expect(isolate(pmdOf(B, (i) => anon(B + i, { order: 9 })))).toMatchObject({
        result: "SCAN_SUCCEED", referenced: 512, pfn: B,
      });
    });
  });
});
