/**
 * The `mthp-creep` preset: under the earlier postings' order-scaled max_ptes_none a few
 * written pages grow pass by pass into ever larger folios ("creep"), which the merged
 * rule of 7.2 (v18: 256 acts as 0 for mTHP orders) does not do; read from the runs' collapses by pass and folio size.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { MAX_PTES_NONE_WARNING } from "../host/khugepaged/mthp_collapse.ts";
import { createCore } from "../host/node/load_core.ts";
import { runMain } from "./cli_in_process.ts";
import { type CompareResult, compareScenario, type RunResult, wasmEngine } from "../host/run/mod.ts";
import type { PassCollapses } from "../host/run/pass_collapses.ts";
import { loadPreset, validateScenario } from "../host/scenario/mod.ts";

async function compare(tunables: Record<string, string | number> = {}): Promise<CompareResult> {
  const preset = loadPreset("mthp-creep");
  const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
  const scenario = validateScenario({ ...structuredClone(preset), tunables: { ...preset.tunables, ...tunables } });
  return compareScenario(scenario, wasmEngine(memory, core));
}

const passes = (r: RunResult): PassCollapses[] => r.khugepaged.collapsesByPass!;
const sizesKb = (p: PassCollapses): number[] => Object.keys(p.collapses).map((s) => Number(/(\d+)kB/.exec(s)![1]));

/** Passes that made a folio larger than any an earlier pass made: each one a step of creep. */
function creepSteps(rows: PassCollapses[]): number {
  let largest = 0, steps = 0;
  for (const p of rows) {
    const top = Math.max(...sizesKb(p));
    if (largest > 0 && top > largest) steps++;
    largest = Math.max(largest, top);
  }
  return steps;
}

describe("mthp-creep", () => {
  let c: CompareResult;
  let merged: RunResult, scaled: RunResult;
  beforeAll(async () => {
    c = await compare();
    [merged, scaled] = c.results;
  });

  test("the preset compares 7.2 with 7.2+mthp-scaled", () => {
    expect(c.variants).toEqual(["7.2", "7.2+mthp-scaled"]);
  });

  test("under mthp-scaled each later pass collapses the same memory into a larger folio, and Rss grows with it", () => {
    const rows = passes(scaled);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    // At max_ptes_none 256 a half-full window qualifies: each pass doubles the folio.
    expect(rows.map((p) => sizesKb(p)[0])).toEqual(rows.map((_, i) => sizesKb(rows[0])[0] << i));
    expect(creepSteps(rows)).toBe(rows.length - 1);
    // One size per pass, and the passes are consecutive: each pass's collapse made the next qualify.
    expect(rows.every((p) => Object.keys(p.collapses).length === 1)).toBe(true);
    expect(rows.map((p) => p.pass)).toEqual(rows.map((_, i) => rows[0].pass + i));
    for (let i = 1; i < rows.length; i++) expect(rows[i].rssKb).toBeGreaterThan(rows[i - 1].rssKb);
    const written = merged.tasks[0].memory.rssKb;
    expect(scaled.tasks[0].memory.rssKb).toBeGreaterThan(4 * written);
  });

  test("under 7.2 nothing creeps: 256 acts as 0, each full 32 KiB collapses once, Rss stays what the task wrote, and the kernel says why", () => {
    const rows = passes(merged);
    expect(rows).toHaveLength(1);
    expect(rows[0].collapses).toEqual({ "hugepages-32kB": 8 });
    expect(creepSteps(rows)).toBe(0);
    const sparse = merged.tasks[0];
    expect(merged.series.every((p) => p.tasks.sparse.rssKb === sparse.memory.rssKb)).toBe(true);
    expect(merged.khugepaged.dmesg).toEqual([MAX_PTES_NONE_WARNING]);
  });

  test("the series shows the scaled rule's folios by size as they grow: each mTHP size appears, then gives way to the next", () => {
    const seen = scaled.series.map((p) => Object.keys(p.tasks.sparse.thp ?? {}).filter((k) => k.startsWith("anon-thp-pte-")));
    const order: string[] = [];
    for (const keys of seen) for (const k of keys) if (!order.includes(k)) order.push(k);
    const kb = order.map((k) => Number(/(\d+)kB$/.exec(k)![1]));
    expect(kb.length).toBeGreaterThanOrEqual(2);
    expect([...kb].sort((a, b) => a - b)).toEqual(kb);
  });
});

describe("khugesim compare mthp-creep", () => {
  test("khugesim compare mthp-creep prints the scaled rule's passes, each one folio size up, and none under 7.2", async () => {
    const r = await runMain("compare", "mthp-creep");
    expect(r.code).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf("khugepaged's collapses by pass")).split("\n");
    const sizes = table[1].split(/\s+/).filter((h) => /^\d+kB$/.test(h));
    const cellsOf = (l: string) => l.trim().split(/\s+/).filter((x) => !x.startsWith("7.2")).slice(2, 2 + sizes.length);
    const scaledAt = table.findIndex((l) => l.startsWith("7.2+mthp-scaled"));
    const rows = table.slice(scaledAt).filter((l, i) => i === 0 || /^\s+\d+\s/.test(l)).map(cellsOf);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    // Row i has its one count in size column i + 1 (after 32kB, which only 7.2 collapses): the diagonal of creep.
    rows.forEach((cells, i) => expect(cells.map((x) => x !== "-")).toEqual(sizes.map((_, j) => j === i + 1)));
    // 7.2: one pass, the 32 KiB windows only.
    const merged = table.filter((l) => /^7\.2\s+\d+\s/.test(l)).map(cellsOf);
    expect(merged).toEqual([sizes.map((s) => s === "32kB" ? "8" : "-")]);
  });
});

describe("mthp-creep at max_ptes_none 511", () => {
  test("both rules collapse each written window into the largest size at once: one collapsing pass, no creep", async () => {
    const c = await compare({ "khugepaged/max_ptes_none": 511 });
    for (const r of c.results) {
      expect(passes(r)).toHaveLength(1);
      expect(creepSteps(passes(r))).toBe(0);
    }
    expect(passes(c.results[0])[0].collapses).toEqual(passes(c.results[1])[0].collapses);
  });
});
