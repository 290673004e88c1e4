/**
 * Differential property test: on random page tables the WASM scalar and WASM SIMD cores
 * write records byte-identical to the TypeScript twin's, for scanPmds and isolatePmd, and
 * under the mTHP scan (7.2) the same occupancy records: bitmap and per-order window tree.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { OCCUPANCY, PMD, PTE_BYTES, PTE_TABLE_BYTES, PTES_PER_PMD, RECORD, SCAN_FLAG } from "../host/core/layout.ts";
import { encodePte, type PteFields } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { readRecord, scanCores } from "./scan_fixture.ts";

const { memory, cores } = await scanCores(64 * 1024 * 1024);
const [twin, ...wasmCores] = cores;

type Word = { lo: number; hi: number };

/** A PTE every check passes: what the SIMD path counts without the scalar checks. */
const commonFields = fc.record({
  young: fc.boolean(), dirty: fc.boolean(), write: fc.boolean(), referenced: fc.boolean(),
  swapcache: fc.boolean(), mapcount: fc.integer({ min: 0, max: 1 }),
});

/** True once in `n` draws. */
const rarely = (n: number) => fc.integer({ min: 0, max: n - 1 }).map((x) => x === 0);

/** Any PTE the host can encode, each field drawn independently. */
const anyFields: fc.Arbitrary<PteFields> = fc.record({
  present: fc.boolean(), young: fc.boolean(), dirty: fc.boolean(), write: fc.boolean(), uffdWp: rarely(6),
  zero: rarely(8), special: rarely(8), anon: fc.boolean(), swapbacked: fc.boolean(), lru: fc.boolean(),
  locked: rarely(6), referenced: fc.boolean(), swapcache: fc.boolean(), order: fc.integer({ min: 0, max: 9 }),
  mapcount: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 63 })),
  pins: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }) }),
  pfn: fc.integer({ min: 1, max: 0xfffffffe }),
}).map((f) => (f.present ? f : { ...f, swap: true, zero: false, special: false }));

/** A common PTE with one check made to fail (or to be counted): where SIMD hands over to scalar. */
const oneOff: fc.Arbitrary<PteFields> = fc.oneof(
  fc.constantFrom<PteFields>(
    { locked: true }, { lru: false }, { anon: false }, { anon: false, swapbacked: false }, { swapbacked: false },
    { swapbacked: false, dirty: false }, { uffdWp: true }, { zero: true }, { special: true },
  ),
  fc.integer({ min: 2, max: 63 }).map((mapcount): PteFields => ({ mapcount })),
  fc.integer({ min: 1, max: 63 }).map((pins): PteFields => ({ pins })),
);

/** One PTE: common, one check off, empty, zero page, swap entry (uffd-wp marker or not), anything, raw. */
const pteArb: fc.Arbitrary<Word> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(commonFields, fc.nat(0xfffff)).map(([f, pfn]) => encodePte(common(f, pfn))) },
  {
    weight: 6,
    arbitrary: fc.tuple(commonFields, oneOff, fc.nat(0xfffff), fc.integer({ min: 0, max: 9 }))
      .map(([f, off, pfn, order]) => encodePte({ ...common(f, pfn, order), ...off })),
  },
  { weight: 3, arbitrary: fc.constant({ lo: 0, hi: 0 }) },
  { weight: 1, arbitrary: fc.constant(encodePte({ present: true, zero: true, pfn: 1 })) },
  {
    weight: 2,
    arbitrary: fc.tuple(rarely(4), fc.nat()).map(([uffdWp, slot]) => encodePte({ swap: true, uffdWp, pfn: slot })),
  },
  { weight: 3, arbitrary: anyFields.map(encodePte) },
  { weight: 1, arbitrary: fc.record({ lo: fc.nat(0xffffffff), hi: fc.nat(0xffffffff) }) },
);

function common(f: Partial<PteFields>, pfn: number, order = 0): PteFields {
  return { present: true, anon: true, swapbacked: true, lru: true, ...f, order, pfn };
}

/**
 * A PTE table: mostly common PTEs (mapping one run of folios of one order, so large
 * folios repeat their head) with sparse exceptions, or every PTE drawn at random.
 */
const tableArb: fc.Arbitrary<Word[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      order: fc.integer({ min: 0, max: 9 }),
      base: fc.nat(0xffff).map((n) => n * 512),
      bits: fc.array(commonFields, { minLength: 32, maxLength: 32 }),
      // An exception may map the previous PTE's page, so a folio's head repeats in isolate.
      exceptions: fc.array(fc.tuple(fc.nat(PTES_PER_PMD - 1), pteArb, rarely(3)), { maxLength: 8 }),
    }).map(({ order, base, bits, exceptions }) => {
      const ptes = Array.from({ length: PTES_PER_PMD }, (_, i) => encodePte(common(bits[i % 32], base + i, order)));
      for (const [i, w, samePage] of exceptions) ptes[i] = samePage && i > 0 ? { lo: w.lo, hi: ptes[i - 1].hi } : w;
      return ptes;
    }),
  },
  { weight: 1, arbitrary: fc.array(pteArb, { minLength: PTES_PER_PMD, maxLength: PTES_PER_PMD }) },
);

/**
 * A partly populated PTE table, as mTHP collapse sees them: each 32-PTE block empty,
 * 1/8, 1/2, 7/8 or fully populated with common PTEs (so that windows of every order fall
 * on both sides of their need), with exceptions: swap entries, shared or zero pages, and
 * any other PTE.
 */
const sparseTableArb: fc.Arbitrary<Word[]> = fc.record({
  order: fc.integer({ min: 0, max: 4 }),
  base: fc.nat(0xffff).map((n) => n * 512),
  bits: fc.array(commonFields, { minLength: 32, maxLength: 32 }),
  blocks: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff)),
    { minLength: 16, maxLength: 16 }),
  exceptions: fc.array(fc.tuple(fc.nat(PTES_PER_PMD - 1), fc.oneof(
    { weight: 2, arbitrary: fc.constant(encodePte({ swap: true, pfn: 7 })) },
    { weight: 2, arbitrary: fc.integer({ min: 2, max: 3 }).map((mapcount) => encodePte(common({ mapcount }, 99))) },
    { weight: 1, arbitrary: fc.constant(encodePte({ present: true, zero: true, pfn: 1 })) },
    { weight: 1, arbitrary: pteArb },
  )), { maxLength: 6 }),
}).map(({ order, base, bits, blocks, exceptions }) => {
  const masks = blocks.map(([density, a, b, c]) => [0, a & b & c, a, a | b | c, 0xffffffff][density]);
  const ptes = Array.from({ length: PTES_PER_PMD }, (_, i) =>
    (masks[i >>> 5] >>> (i & 31)) & 1 ? encodePte(common(bits[i % 32], base + i, order)) : { lo: 0, hi: 0 });
  for (const [i, w] of exceptions) ptes[i] = w;
  return ptes;
});

/** A PMD directory entry: none, huge, migration, or a PTE table. */
const pmdArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ entry: 0 as number, table: undefined as Word[] | undefined }) },
  { weight: 1, arbitrary: fc.nat(0x3fffff).map((pfn) => ({ entry: PMD.HUGE | pfn, table: undefined })) },
  { weight: 1, arbitrary: fc.constant({ entry: PMD.MIGRATION, table: undefined }) },
  { weight: 8, arbitrary: tableArb.map((table) => ({ entry: -1, table })) },
);
/** The PMDs of an mTHP scan: mostly partly populated tables. */
const mthpPmdArb = fc.oneof(
  { weight: 1, arbitrary: pmdArb },
  { weight: 3, arbitrary: sparseTableArb.map((table) => ({ entry: -1, table })) },
);

const threshold = fc.oneof(fc.integer({ min: 0, max: 511 }), fc.constantFrom(0, 1, 8, 64, 256, 511));
const params = fc.record({
  maxPtesNone: threshold, maxPtesSwap: threshold, maxPtesShared: threshold,
  vmaFlags: fc.nat(31), scanFlags: fc.nat(3),
});

/**
 * The mTHP scan's parameters: any flags with MTHP_BITMAP, under v17's 0-or-511 rule or
 * the scaled one; max_ptes_none 0 and 511 (the values the merged rule takes) or any other.
 */
const mthpParams = fc.record({
  maxPtesNone: fc.oneof(fc.constantFrom(0, 511), fc.integer({ min: 0, max: 511 })), maxPtesSwap: threshold,
  maxPtesShared: threshold, vmaFlags: fc.nat(31),
  scanFlags: fc.tuple(fc.nat(3), fc.boolean())
    .map(([f, scaled]) => f | SCAN_FLAG.MTHP_BITMAP | (scaled ? SCAN_FLAG.MTHP_SCALED : 0)),
});

function writeTable(ptes: readonly Word[]): number {
  const table = memory.allocTable();
  const u32 = memory.u32;
  ptes.forEach(({ lo, hi }, i) => {
    u32[(table + i * PTE_BYTES) >>> 2] = lo;
    u32[((table + i * PTE_BYTES) >>> 2) + 1] = hi;
  });
  return table;
}

function ringBytes(ring: number, count: number, bytes: number = RECORD.BYTES): number[] {
  return Array.from(new Uint8Array(memory.memory.buffer, ring, count * bytes));
}

const RUNS = 200;

describe("scan cores agree on random page tables", () => {
  const dir = memory.alloc(12 * 4, 4);
  const want = memory.alloc(8 * RECORD.BYTES, RECORD.BYTES), got = memory.alloc(8 * RECORD.BYTES, RECORD.BYTES);
  /** Poison both rings, so that a byte a core fails to write shows up as a difference. */
  const poison = () => memory.u32.fill(0xdeadbeef, want >>> 2, (got + 8 * RECORD.BYTES) >>> 2);
  const expectSameRecords = (count: number) => {
    const records = (ring: number) => Array.from({ length: count }, (_, k) => readRecord(memory, ring + k * RECORD.BYTES));
    expect(records(got)).toEqual(records(want));
    expect(ringBytes(got, count)).toEqual(ringBytes(want, count));
  };
  const each = test.each(wasmCores.map((core): [string, ScanCore] => [core.name, core]));
  const wantOcc = memory.alloc(8 * OCCUPANCY.BYTES, 64), gotOcc = memory.alloc(8 * OCCUPANCY.BYTES, 64);

  each("%s scanPmds() writes the same record ring as the TS twin", (_name, core) => {
    fc.assert(fc.property(
      fc.array(pmdArb, { minLength: 1, maxLength: 8 }), fc.nat(3), fc.nat(1 << 27), params,
      (pmds, first, pmdNo, p) => {
        const tables = pmds.map((d) => (d.table ? writeTable(d.table) : -1));
        memory.u32.set(pmds.map((d, k) => (d.table ? tables[k] / PTE_TABLE_BYTES : d.entry)), (dir >>> 2) + first);
        poison();
        for (const [c, ring] of [[twin, want], [core, got]] as const) {
          c.scanPmds(dir, first, pmds.length, pmdNo, p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, p.vmaFlags,
            p.scanFlags, ring);
        }
        for (const t of tables) if (t >= 0) memory.freeTable(t);
        expectSameRecords(pmds.length);
      },
    ), { numRuns: RUNS });
  });

  each("%s scanPmds() under the mTHP scan writes the same records and occupancy records (bitmap, window tree) as the TS twin", (_name, core) => {
    fc.assert(fc.property(
      fc.array(mthpPmdArb, { minLength: 1, maxLength: 8 }), fc.nat(3), fc.nat(1 << 27), mthpParams,
      (pmds, first, pmdNo, p) => {
        const tables = pmds.map((d) => (d.table ? writeTable(d.table) : -1));
        memory.u32.set(pmds.map((d, k) => (d.table ? tables[k] / PTE_TABLE_BYTES : d.entry)), (dir >>> 2) + first);
        poison();
        memory.u32.fill(0xdeadbeef, wantOcc >>> 2, (gotOcc + 8 * OCCUPANCY.BYTES) >>> 2);
        for (const [c, ring, occ] of [[twin, want, wantOcc], [core, got, gotOcc]] as const) {
          c.scanPmds(dir, first, pmds.length, pmdNo, p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, p.vmaFlags,
            p.scanFlags, ring, occ);
        }
        for (const t of tables) if (t >= 0) memory.freeTable(t);
        expectSameRecords(pmds.length);
        expect(ringBytes(gotOcc, pmds.length, OCCUPANCY.BYTES)).toEqual(ringBytes(wantOcc, pmds.length, OCCUPANCY.BYTES));
      },
    ), { numRuns: RUNS });
  });

  each("%s isolatePmd() writes the same record as the TS twin", (_name, core) => {
    fc.assert(fc.property(tableArb, fc.nat(1 << 27), params, (ptes, pmdNo, p) => {
      const table = writeTable(ptes);
      poison();
      for (const [c, ring] of [[twin, want], [core, got]] as const) {
        c.isolatePmd(table, pmdNo, p.maxPtesNone, p.maxPtesShared, p.vmaFlags, p.scanFlags, ring);
      }
      memory.freeTable(table);
      expectSameRecords(1);
    }), { numRuns: RUNS });
  });
});
