/**
 * The page's big maps, worker side (web/src/map_layout.ts, map_history.ts, map_store.ts):
 * a bounded layout, every frame recovered from stored changes, tiles and hover answers.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ScanResult } from "../host/core/scan_result.ts";
import { type Frame, PMD_SIZE, PMD_STATES, type TaskFrame } from "../host/mod.ts";
import { cellAt, cellOf, cellRange, MAP_MAX_HEIGHT, MAP_WIDTH, mapLayout, zoomRange } from "../web/src/map_layout.ts";
import { MapHistory, pmdIndex, pmdNumber } from "../web/src/map_history.ts";
import { MapStore } from "../web/src/map_store.ts";
import { PMD_COLOURS, PMD_LABELS, PMD_RGB } from "../web/src/pmd_colours.ts";

const HUGE = PMD_STATES.indexOf("huge"), SMALL = PMD_STATES.indexOf("small"), MTHP = PMD_STATES.indexOf("mthp");

function task(pmds: number[], lastScan: number[] = pmds.map(() => 0), pmdRuns = [1000, pmds.length]): TaskFrame {
  return {
    name: "t", alive: true, pmds: Uint8Array.from(pmds), lastScan: Uint8Array.from(lastScan), pmdRuns,
    anonHugePagesKb: 0, lazyFreeKb: 0, swapKb: 0,
  };
}

describe("mapLayout()", () => {
  test("mapLayout() covers every PMD of a range once, within the map's bounds", () => {
    fc.assert(fc.property(fc.nat(1 << 26), fc.integer({ min: 1, max: 1 << 28 }), (start, span) => {
      const l = mapLayout(start, start + span);
      expect(l.columns * l.cell).toBeLessThanOrEqual(MAP_WIDTH);
      expect(l.rows * l.cell).toBeLessThanOrEqual(MAP_MAX_HEIGHT);
      expect(l.cells).toBeLessThanOrEqual(l.columns * l.rows);
      expect(cellRange(l, 0)[0]).toBe(start);
      expect(cellRange(l, l.cells - 1)[1]).toBe(start + span);
      for (const i of [start, start + Math.floor(span / 2), start + span - 1]) {
        const c = cellOf(l, i)!;
        const [first, end] = cellRange(l, c);
        expect(i >= first && i < end).toBe(true);
        expect(cellAt(l, (c % l.columns) * l.cell, Math.floor(c / l.columns) * l.cell)).toBe(c);
      }
    }));
  });

  test("mapLayout() draws a small map one PMD a 10 px cell, a terabyte one many PMDs a pixel", () => {
    expect(mapLayout(0, 64)).toMatchObject({ cell: 10, per: 1, cells: 64 });
    const tib = mapLayout(0, 524288);
    expect(tib.cell).toBe(1);
    expect(tib.per).toBe(Math.ceil(524288 / (MAP_WIDTH * MAP_MAX_HEIGHT)));
  });

  test("zoomRange() keeps the PMD under the pointer in place and the range within the map", () => {
    expect(zoomRange(0, 1000, 1000, 500, 0.5)).toEqual([250, 750]);
    expect(zoomRange(0, 1000, 1000, 0, 0.5)).toEqual([0, 500]);
    expect(zoomRange(900, 1000, 1000, 990, 4)).toEqual([600, 1000]);
    expect(zoomRange(10, 11, 1000, 10, 0.5)).toEqual([10, 11]);
  });
});

describe("MapHistory", () => {
  test("MapHistory.at() gives back every frame pushed, visited in any order", () => {
    const frames = fc.array(fc.array(fc.nat(PMD_STATES.length - 1), { minLength: 40, maxLength: 40 }), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(frames, fc.array(fc.nat(), { maxLength: 30 }), fc.nat(11), (maps, visits, moved) => {
      const h = new MapHistory(0);
      // One frame (`moved`) has its PMDs elsewhere: a key frame in the middle.
      const pushed = maps.map((m, f) => task(m, m.map((s) => (s * 7 + f) % 40), f === moved ? [5000, 40] : [1000, 40]));
      for (const t of pushed) h.push(t);
      for (const v of visits) {
        const f = v % maps.length;
        const { cells, runs } = h.at(f);
        expect(Array.from(cells, (c) => c & 0xff)).toEqual(maps[f]);
        expect(Array.from(cells, (c) => c >> 8)).toEqual(Array.from(pushed[f].lastScan));
        expect(runs).toEqual(pushed[f].pmdRuns);
      }
    }));
  });

  test("pmdIndex() and pmdNumber() translate between a map's index and the PMD's number", () => {
    const runs = [100, 3, 200, 2];
    expect([0, 1, 2, 3, 4].map((i) => pmdNumber(runs, i))).toEqual([100, 101, 102, 200, 201]);
    expect([100, 102, 200, 201, 150].map((p) => pmdIndex(runs, p))).toEqual([0, 2, 3, 4, -1]);
  });
});

describe("MapStore", () => {
  const frame = (t: TaskFrame, address: number): Frame => ({ variant: "baseline", timeS: 1, endS: 2, tasks: [t], cursor: { task: "t", address } });

  test("MapStore.tile() mixes the colours of the PMDs a cell stands for", () => {
    const store = new MapStore();
    const n = MAP_WIDTH * MAP_MAX_HEIGHT * 2;
    store.push(frame(task(Array.from({ length: n }, (_, i) => (i % 2 ? HUGE : SMALL))), 0));
    const { rgba } = store.tile({ variant: "baseline", frame: 0, task: "t", start: 0, end: n });
    expect(rgba.length).toBe(mapLayout(0, n).cells * 4);
    // Each cell holds one PMD of each: halfway between the two colours (rounded either way), opaque.
    for (let c = 0; c < 3; c++) expect(Math.abs(rgba[c] - (PMD_RGB[HUGE][c] + PMD_RGB[SMALL][c]) / 2)).toBeLessThanOrEqual(0.5);
    expect(rgba[3]).toBe(255);
  });

  test("MapStore answers a PMD's address and last scan in its variant's words, and places the cursor", () => {
    const store = new MapStore();
    const summary = store.push(frame(task([SMALL, SMALL, HUGE], [ScanResult.NO_PTE_TABLE + 1, 0, ScanResult.SUCCEED + 1]), 1002 * PMD_SIZE));
    expect(summary.cursor).toEqual({ task: "t", pmd: 2 });
    expect(summary.tasks[0].pmds).toBe(3);
    const ref = { variant: "baseline", frame: 0, task: "t" };
    // Linux 6.18 (baseline) traces an empty PMD as pmd_none.
    expect(store.pmds({ ...ref, start: 0, end: 1 })).toMatchObject({ from: 1000 * PMD_SIZE, to: 1001 * PMD_SIZE, lastScan: "pmd_none" });
    expect(store.pmds({ ...ref, start: 1, end: 2 })?.lastScan).toBeNull();
    expect(store.pmds({ ...ref, start: 0, end: 3 })).toMatchObject({ to: 1003 * PMD_SIZE, lastScan: null });
    expect(store.pmds({ ...ref, start: 0, end: 3 })?.states[HUGE]).toBe(1);
    expect(store.pmds({ ...ref, frame: 1, start: 0, end: 1 })).toBeNull();
  });

  test("MapStore draws a PMD partly in mTHPs in the mthp colour, unlike 4 KiB pages and THPs, and counts it under its own label", () => {
    const store = new MapStore();
    store.push(frame(task([MTHP, SMALL, HUGE]), 0));
    const ref = { variant: "baseline", frame: 0, task: "t" };
    const { rgba } = store.tile({ ...ref, start: 0, end: 3 });
    if (!rgba) throw new Error("a first tile has pixels");
    expect(Array.from(rgba.slice(0, 3))).toEqual([...PMD_RGB[MTHP]]);
    expect(Array.from(rgba.slice(4, 7))).not.toEqual(Array.from(rgba.slice(0, 3)));
    expect(Array.from(rgba.slice(8, 11))).not.toEqual(Array.from(rgba.slice(0, 3)));
    expect(store.pmds({ ...ref, start: 0, end: 3 })?.states[MTHP]).toBe(1);
    // The legend names it, in a colour no other state has.
    expect(PMD_LABELS.mthp).toMatch(/mTHP/);
    expect(new Set(Object.values(PMD_COLOURS)).size).toBe(PMD_STATES.length);
  });
});
