/** The sweep library: a grid file checked and expanded into keyed runs, shards, records, merging and the summary. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compareRuns, expandGrid, inShard, parseShard, runKey } from "../host/sweep/run_point.ts";
import type { VariantName } from "../host/kernel/variants/mod.ts";
import { mergeRecords, parseRecords, recordLine, type SweepRecord, SweepOutputError } from "../host/sweep/sweep_record.ts";
import { SweepSpecError, validateSweepSpec } from "../host/sweep/sweep_spec.ts";
import { summarizeSweep, summaryCsv } from "../host/sweep/sweep_summary.ts";

const GRID = {
  scenario: "hot1-cold-hot2",
  variants: ["baseline", "lazyfree-skip", "lazyfree-keep"],
  tunables: {
    "khugepaged/scan_sleep_millisecs": [10000, 1000],
    "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan": [4096, 512, 64],
  },
  seeds: [2, 1],
};

/** The message of the SweepSpecError that checking `data` throws, its field path checked. */
function specFailure(data: unknown, path: string): string {
  try {
    validateSweepSpec(data, "grid.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(SweepSpecError);
    expect((err as SweepSpecError).path).toBe(path);
    return (err as Error).message;
  }
  throw new Error("expected a SweepSpecError");
}

describe("validateSweepSpec", () => {
  test("takes a single value where a list is expected and strips the sysfs prefix of a tunable", () => {
    const s = validateSweepSpec({ scenario: "hot1-hot2", variants: "baseline", seeds: 7,
      tunables: { "/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none": 0 } }, "g.yaml");
    expect(s).toEqual({ scenarios: ["hot1-hot2"], variants: ["baseline"], tunables: [["khugepaged/max_ptes_none", [0]]], seeds: [7] });
  });

  test("takes a version with policies as a variant, as --variants does", () => {
    expect(validateSweepSpec({ ...GRID, variants: ["7.1+lazyfree-keep", "6.18"] }, "g.yaml").variants).toEqual(["7.1+lazyfree-keep", "6.18"]);
  });

  test.each([
    [{ variants: ["baseline"], seeds: [1] }, "scenario", /scenario is missing: give a preset or scenario file/],
    [{ ...GRID, variants: ["baseline", "lazyfree-drop"] }, "variants[1]", /must be one of baseline, .*got "lazyfree-drop"/],
    [{ ...GRID, seeds: [1, 2, 1] }, "seeds", /names 1 twice/],
    [{ ...GRID, seeds: [-1] }, "seeds[0]", /seeds\[0\] /],
    [{ ...GRID, tunables: { "khugepaged/pages_to_scam": [1] } }, 'tunables["khugepaged/pages_to_scam"]', /is not a tunable under/],
    [{ ...GRID, tunables: { "khugepaged/pages_to_scan": [512, 0] } }, 'tunables["khugepaged/pages_to_scan"][1]', /was refused by the kernel/],
    [{ ...GRID, tunables: { enabled: "sometimes" } }, "tunables.enabled", /was refused by the kernel/],
    [{ ...GRID, tunables: { "khugepaged/pages_to_scan": [512],
      "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan": [64] } },
    'tunables["/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan"]', /a second time/],
    [{ ...GRID, seed: [1] }, "seed", /.+/],
  ])("refuses %j at %s with one line", (data, path, reason) => {
    const message = specFailure(data, path);
    expect(message).toMatch(/^Cannot load sweep "grid\.yaml": /);
    expect(message).toMatch(reason);
    expect(message).not.toContain("\n");
  });

  test("refuses a file that is not an object", () => {
    expect(specFailure([1, 2], "")).toMatch(/must be an object with scenario, variants and seeds, got a list/);
  });
});

describe("expandGrid", () => {
  const points = expandGrid(validateSweepSpec(GRID, "g.yaml"));

  test("gives every combination once: 3 variants × 2 × 3 values × 2 seeds", () => {
    expect(points).toHaveLength(3 * 2 * 3 * 2);
    expect(new Set(points.map((p) => p.key)).size).toBe(points.length);
    for (const variant of GRID.variants) {
      for (const sleep of [1000, 10000]) {
        for (const pages of [64, 512, 4096]) {
          for (const seed of [1, 2]) {
            const want = { "khugepaged/pages_to_scan": pages, "khugepaged/scan_sleep_millisecs": sleep };
            expect(points.filter((p) => p.variant === variant && p.seed === seed &&
              JSON.stringify(p.tunables) === JSON.stringify(want))).toHaveLength(1);
          }
        }
      }
    }
  });

  test("orders runs by variant, tunables by path with numbers by value, then seed, whatever the file's order", () => {
    expect(points.slice(0, 3).map((p) => p.key)).toEqual([
      "hot1-cold-hot2 baseline khugepaged/pages_to_scan=64 khugepaged/scan_sleep_millisecs=1000 seed=1",
      "hot1-cold-hot2 baseline khugepaged/pages_to_scan=64 khugepaged/scan_sleep_millisecs=1000 seed=2",
      "hot1-cold-hot2 baseline khugepaged/pages_to_scan=64 khugepaged/scan_sleep_millisecs=10000 seed=1",
    ]);
    for (let i = 1; i < points.length; i++) expect(compareRuns(points[i - 1], points[i])).toBeLessThan(0);
  });

  test("keeps a point's key when the grid grows", () => {
    const grown = expandGrid(validateSweepSpec({ ...GRID, seeds: [1, 2, 3], variants: [...GRID.variants].reverse() }, "g.yaml"));
    const keys = new Set(grown.map((p) => p.key));
    for (const p of points) expect(keys.has(p.key)).toBe(true);
    expect(grown).toHaveLength(points.length * 3 / 2);
  });
});

describe("shards", () => {
  test("parseShard reads I/N and refuses an index out of range or other text", () => {
    expect(parseShard("2/8")).toEqual({ index: 2, count: 8 });
    for (const bad of ["8/8", "1/0", "-1/4", "1", "a/b", "1.5/4", ""]) expect(() => parseShard(bad)).toThrow(/--shard must be I\/N/);
  });

  test("inShard puts every key in exactly one of N shards", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string(), { maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (keys, count) => {
      for (const key of keys) {
        const owners = Array.from({ length: count }, (_, index) => index).filter((index) => inShard(key, { index, count }));
        expect(owners).toHaveLength(1);
      }
    }));
  });

  test("spreads a grid's runs over the shards: none of 8 is empty for 144 runs", () => {
    const keys = expandGrid(validateSweepSpec({ ...GRID, seeds: [1, 2, 3, 4, 5, 6] }, "g.yaml")).map((p) => p.key);
    for (let index = 0; index < 8; index++) expect(keys.filter((k) => inShard(k, { index, count: 8 })).length).toBeGreaterThan(5);
  });
});

/** A record of a run with `cycles` for task t (or an error). */
function record(variant: VariantName, pages: number, seed: number, cycles: number | string): SweepRecord {
  const p = { scenario: "s", variant, tunables: { "khugepaged/pages_to_scan": pages }, seed };
  const outcome = typeof cycles === "string" ? { error: cycles }
    : { result: { endS: 1, tasks: { t: { cyclesPerAccess: cycles, collapses: seed } }, khugepaged: { pagesCollapsed: 2, wakeups: 3 } } };
  return { key: runKey(p), ...p, ...outcome } as unknown as SweepRecord;
}

const text = (rs: SweepRecord[]) => rs.map(recordLine).join("");

describe("sweep records", () => {
  test("parseRecords leaves out a half-written last line and says where the complete ones end", () => {
    const whole = text([record("baseline", 64, 1, 2.5), record("baseline", 64, 2, 3)]);
    const cut = whole.slice(0, -20);
    const { lines, completeBytes } = parseRecords(cut, "o.jsonl");
    expect(lines.map((l) => l.record.seed)).toEqual([1]);
    expect(cut.slice(0, completeBytes)).toBe(lines[0].line);
  });

  test("parseRecords refuses a complete line that is not a run record, naming the line", () => {
    const bad = text([record("baseline", 64, 1, 2.5)]) + '{"key":"x"}\n';
    expect(() => parseRecords(bad, "o.jsonl")).toThrow(new SweepOutputError("o.jsonl", "line 2 is not a run record"));
  });

  test("mergeRecords puts runs in canonical order, keeps a result over an error and refuses two results of one run", () => {
    const a = [record("lazyfree-skip", 64, 1, 1), record("baseline", 512, 1, "died")];
    const b = [record("baseline", 512, 1, 4), record("baseline", 64, 1, 2)];
    const merged = mergeRecords([{ source: "a", lines: parseRecords(text(a), "a").lines }, { source: "b", lines: parseRecords(text(b), "b").lines }]);
    expect(merged.map((l) => l.record.key)).toEqual(["s baseline khugepaged/pages_to_scan=64 seed=1",
      "s baseline khugepaged/pages_to_scan=512 seed=1", "s lazyfree-skip khugepaged/pages_to_scan=64 seed=1"]);
    expect(merged[1].record.error).toBeUndefined();
    const c = [record("baseline", 64, 1, 2.25)];
    expect(() => mergeRecords([{ source: "b", lines: parseRecords(text(b), "b").lines }, { source: "c", lines: parseRecords(text(c), "c").lines }]))
      .toThrow(/Cannot read sweep output "c": run "s baseline khugepaged\/pages_to_scan=64 seed=1" has a different result in "b"/);
  });
});

describe("summarizeSweep", () => {
  test("averages each figure over the seeds that succeeded and counts the failures", () => {
    const s = summarizeSweep([record("baseline", 64, 1, 2), record("baseline", 64, 2, 3), record("baseline", 64, 3, "oom"),
      record("baseline", 512, 1, 5)]);
    expect(s.figures).toEqual(["t.cyclesPerAccess", "t.collapses", "khugepaged.pagesCollapsed", "khugepaged.wakeups"]);
    expect(s.rows.map((r) => [r.point.tunables["khugepaged/pages_to_scan"], r.runs, r.failed, ...r.means]))
      .toEqual([[64, 2, 1, 2.5, 1.5, 2, 3], [512, 1, 0, 5, 1, 2, 3]]);
    expect(summaryCsv(s).split("\n")[1]).toBe("s,baseline,64,2,1,2.5,1.5,2,3");
  });
});
