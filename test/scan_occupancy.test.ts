/**
 * The mTHP scan on every scan core (TS twin, WASM, WASM SIMD), against the series' v18
 * rules written out here: the occupied bitmap (a bit per PTE that passed the scan as a
 * mapped page), the scan's relaxed none limit, and each aligned window of orders 2 … 9
 * judged by `occupied ≥ 2^o − collapse_max_ptes_none(o)` under both max_ptes_none rules.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OCCUPANCY, PMD, PTES_PER_PMD, RECORD, SCAN_FLAG, VMA } from "../host/core/layout.ts";
import type { PteFields } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { readRecord, scanCores, tableEntry, writeDirectory, writeTable } from "./scan_fixture.ts";

const { memory, cores } = await scanCores(16 * 1024 * 1024);
const MTHP = SCAN_FLAG.KHUGEPAGED | SCAN_FLAG.MTHP_BITMAP;
const NR = PTES_PER_PMD;

type Kind = "page" | "old" | "none" | "zero" | "swap" | "shared" | "locked";
const FIELDS: Record<Kind, PteFields | null> = {
  page: { present: true, young: true, anon: true, swapbacked: true, lru: true, pfn: 5 },
  old: { present: true, anon: true, swapbacked: true, lru: true, pfn: 6 },
  none: null,
  zero: { present: true, zero: true, pfn: 1 },
  swap: { swap: true, pfn: 9 },
  shared: { present: true, young: true, anon: true, swapbacked: true, lru: true, mapcount: 2, pfn: 7 },
  locked: { present: true, young: true, anon: true, swapbacked: true, lru: true, locked: true, pfn: 8 },
};
const MAPS_A_PAGE = new Set<Kind>(["page", "old", "shared", "locked"]);

interface Scanned { result: string; examined: number; bits: number[]; windows: Uint32Array }

/** Scan one PMD of `kinds` with `core` under the mTHP scan; its record and occupancy record. */
function scanMthp(core: ScanCore, kinds: readonly Kind[], maxNone: number, flags = MTHP, vmaFlags = 0): Scanned {
  const table = writeTable(memory, kinds.map((k) => FIELDS[k]));
  const dir = writeDirectory(memory, [tableEntry(table)]);
  const ring = memory.alloc(RECORD.BYTES, RECORD.BYTES), occ = memory.alloc(OCCUPANCY.BYTES, 64);
  memory.u32.fill(0xdeadbeef, occ >>> 2, (occ + OCCUPANCY.BYTES) >>> 2);
  core.scanPmds(dir, 0, 1, 1, maxNone, NR - 1, NR - 1, vmaFlags, flags, ring, occ);
  memory.freeTable(table);
  const rec = readRecord(memory, ring);
  const u32 = memory.u32;
  const bits = Array.from({ length: NR }, (_, i) => (u32[((occ + OCCUPANCY.BITMAP) >>> 2) + (i >>> 5)] >>> (i & 31)) & 1);
  const windows = u32.slice((occ + OCCUPANCY.WINDOWS) >>> 2, (occ + OCCUPANCY.BYTES) >>> 2);
  return { result: rec.result, examined: rec.ptesExamined, bits, windows };
}

/** The window bit of order `order` at `offset` in a tree: node 2^(9 − o) + offset / 2^o. */
const windowBit = (windows: Uint32Array, offset: number, order: number): number => {
  const node = (NR >> order) + (offset >> order);
  return (windows[node >>> 5] >>> (node & 31)) & 1;
};

/** v18's collapse_max_ptes_none() (511 as 2^o − 1, anything else as 0), and the earlier postings' scaled rule, written out. */
function maxPtesNone(order: number, sysfs: number, scaled: boolean): number {
  if (order === 9) return sysfs;
  if (scaled) return Math.floor(sysfs / 2 ** (9 - order));
  return sysfs === 511 ? 2 ** order - 1 : 0;
}

/** PTE kinds in 32-PTE blocks of random density, with rare other kinds. */
const kindsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 32 }), fc.array(fc.constantFrom<Kind>("zero", "swap", "old", "shared"), { maxLength: 3 })),
  { minLength: 16, maxLength: 16 }).chain((blocks) => fc.tuple(...blocks.map(([filled, extra]) =>
  fc.shuffledSubarray([...Array<Kind>(filled).fill("page"), ...extra, ...Array<Kind>(32).fill("none")], { minLength: 32, maxLength: 32 }))))
  .map((blocks) => blocks.flat());

describe.each(cores.map((core): [string, ScanCore] => [core.name, core]))("%s core", (_name, core) => {
  test("the bitmap marks each PTE that passed the scan as a mapped page: not none, zero-page or swap PTEs, nothing from the failing PTE on", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom<Kind>("page", "page", "old", "none", "zero", "swap", "shared", "locked"),
      { minLength: NR, maxLength: NR }), (kinds) => {
      const s = scanMthp(core, kinds, 511);
      // The loop ran to its end unless a check failed; the failing PTE (locked here) is not marked.
      const ended = s.result === "SCAN_SUCCEED" || s.result === "SCAN_LACK_REFERENCED_PAGE" ? NR : s.examined - 1;
      expect(s.bits).toEqual(kinds.map((k, i) => (i < ended && MAPS_A_PAGE.has(k) ? 1 : 0)));
    }), { numRuns: 60 });
  });

  test("with mTHP orders the scan takes 511 empty PTEs whatever max_ptes_none is, and 512 exceed it", () => {
    const one: Kind[] = ["page", ...Array<Kind>(NR - 1).fill("none")];
    expect(scanMthp(core, one, 0).result).toBe("SCAN_SUCCEED");
    expect(scanMthp(core, Array<Kind>(NR).fill("none"), 511).result).toBe("SCAN_EXCEED_NONE_PTE");
    // Without the mTHP scan max_ptes_none 0 stops at the first empty PTE.
    expect(scanMthp(core, one, 0, SCAN_FLAG.KHUGEPAGED).result).toBe("SCAN_EXCEED_NONE_PTE");
    // A uffd-armed VMA still tolerates no empty PTE.
    expect(scanMthp(core, one, 511, MTHP, VMA.VM_UFFD_ARMED).result).toBe("SCAN_EXCEED_NONE_PTE");
  });

  test("each window of orders 2 … 9 qualifies exactly when occupied ≥ 2^o − max_ptes_none(o), under v18's rule and the scaled one", () => {
    const sysfsArb = fc.oneof(fc.constantFrom(0, 511), fc.integer({ min: 1, max: 510 }));
    fc.assert(fc.property(kindsArb, sysfsArb, fc.boolean(), (kinds, sysfs, scaled) => {
      const s = scanMthp(core, kinds, sysfs, MTHP | (scaled ? SCAN_FLAG.MTHP_SCALED : 0));
      for (let order = 2; order <= 9; order++) {
        const max = maxPtesNone(order, sysfs, scaled);
        for (let offset = 0; offset < NR; offset += 1 << order) {
          const occupied = s.bits.slice(offset, offset + (1 << order)).reduce((a, b) => a + b, 0);
          const want = occupied >= (1 << order) - max ? 1 : 0;
          expect([order, offset, windowBit(s.windows, offset, order)]).toEqual([order, offset, want]);
        }
      }
      // Node 0 and the orders below 2 have no bit.
      expect(s.windows[0] & 1).toBe(0);
    }), { numRuns: 40 });
  });

  test("v18's rule: max_ptes_none 511 takes a window with one occupied PTE, 0 only a full one, 300 as 0 below the PMD order", () => {
    const kinds: Kind[] = Array.from({ length: NR }, (_, i) => (i < 4 || i === 8 ? "page" : "none"));
    const at = (sysfs: number, order: number, offset = 0) => windowBit(scanMthp(core, kinds, sysfs).windows, offset, order);
    expect([at(511, 2), at(511, 2, 8), at(511, 2, 4), at(511, 8), at(511, 9)]).toEqual([1, 1, 0, 1, 1]);
    expect([at(0, 2), at(0, 2, 8), at(0, 3), at(0, 9)]).toEqual([1, 0, 0, 0]);
    expect([at(300, 2), at(300, 2, 8), at(300, 8), at(300, 9)]).toEqual([1, 0, 0, 0]);
    // A fully occupied PMD (the cores work its tree out once per call): every window under each value.
    const full = (sysfs: number) => Array.from(scanMthp(core, Array<Kind>(NR).fill("page"), sysfs).windows);
    expect(full(511)).toEqual([0xfffffffe, ...Array(7).fill(0xffffffff)]);
    expect(full(0)).toEqual([0xfffffffe, ...Array(7).fill(0xffffffff)]);
    expect(full(300)).toEqual([0xfffffffe, ...Array(7).fill(0xffffffff)]);
  });

  test("a PMD without a PTE table or mapped huge gets an empty bitmap and no window; without MTHP_BITMAP nothing is written", () => {
    const dir = writeDirectory(memory, [0, PMD.HUGE | 3]);
    const ring = memory.alloc(2 * RECORD.BYTES, RECORD.BYTES), occ = memory.alloc(2 * OCCUPANCY.BYTES, 64);
    const words = [occ >>> 2, (occ + 2 * OCCUPANCY.BYTES) >>> 2] as const;
    memory.u32.fill(0xdeadbeef, ...words);
    core.scanPmds(dir, 0, 2, 1, 511, 64, 256, 0, SCAN_FLAG.KHUGEPAGED, ring, occ);
    expect(memory.u32.slice(...words).every((w) => w === 0xdeadbeef)).toBe(true);
    core.scanPmds(dir, 0, 2, 1, 511, 64, 256, 0, MTHP, ring, occ);
    expect(memory.u32.slice(...words).every((w) => w === 0)).toBe(true);
  });
});
