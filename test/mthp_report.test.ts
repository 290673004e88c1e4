/**
 * Reports with mTHPs: thpmaps' counters of a simulated mm, which scenarios get them, and
 * how run, compare, --json and --csv show them and khugepaged's collapses by pass and
 * size; scenarios that turn no mTHP size on keep the outputs they had.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { writeTunable } from "../host/kernel/tunables.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { thpCountersKb } from "../host/mm/thp_counters.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { formatRun } from "../host/report/run_report.ts";
import { seriesCsv } from "../host/report/series_csv.ts";
import { thpCounters } from "../host/report/snapshot_report.ts";
import { type CompareResult, compareScenario, tsEngine } from "../host/run/mod.ts";
import { loadPreset, validateScenario } from "../host/scenario/mod.ts";
import { usesMthpSizes } from "../host/scenario/mthp_sizes.ts";
import { mmSnapshotProcess } from "../host/snapshot/mm_snapshot.ts";
import { advance, boot, CORES } from "./khugepaged_fixture.ts";

/** thpmaps' counters of `mm` read the way `khugesim report SCENARIO` reads a task: through its snapshot. */
function viaSnapshot(mm: Mm): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of mmSnapshotProcess(mm).vmas) {
    for (const [k, kb] of Object.entries(thpCounters(v, "anon"))) out[k] = (out[k] ?? 0) + kb;
  }
  return out;
}

describe("thpCountersKb()", () => {
  test("thpCountersKb() counts PMD-mapped THPs, mTHPs and a split THP's PTEs by size, as the snapshot report does", async () => {
    const k = await boot(CORES[0], {
      variant: "7.2", sysfs: { enabled: "madvise", "hugepages-64kB/enabled": "always", "hugepages-2048kB/enabled": "never" },
    });
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: 4 * PMD_SIZE, align: PMD_SIZE });
    // PMD 0: 24 pages, two 64 kB windows for khugepaged; PMD 1: a THP; PMD 2: a THP split by a partial DONTNEED; PMD 3: the zero page.
    touch(k, mm, vma.start, 24 * PAGE_SIZE, true);
    madvise(k, mm, vma.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    writeTunable(k.tunables, "hugepages-2048kB/enabled", "madvise");
    touch(k, mm, vma.start + PMD_SIZE, 2 * PMD_SIZE, true);
    expect(madvise(k, mm, vma.start + PMD_SIZE, 2 * PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    madvise(k, mm, vma.start + 2 * PMD_SIZE, PAGE_SIZE, "MADV_DONTNEED");
    touch(k, mm, vma.start + 3 * PMD_SIZE, PAGE_SIZE, false);
    const counters = thpCountersKb(mm);
    expect(counters).toEqual({
      "anon-thp-pmd-aligned-2048kB": 2048, "anon-thp-pte-aligned-64kB": 128, "anon-thp-pte-aligned-2048kB": 511 * 4,
    });
    expect(counters).toEqual(viaSnapshot(mm));
    // Key order is thpmaps': PMD-mapped first, then by size.
    expect(Object.keys(counters)).toEqual(["anon-thp-pmd-aligned-2048kB", "anon-thp-pte-aligned-64kB", "anon-thp-pte-aligned-2048kB"]);
  });
});

describe("usesMthpSizes()", () => {
  const scenario = (tunables: Record<string, string | number>, steps: unknown[] = []) =>
    validateScenario({ name: "s", durationS: 1, tunables, tasks: [{ name: "t", vmas: [{ name: "b", size: "2 MiB" }], steps }] });

  test("usesMthpSizes() is true for an mTHP size set to anything but never, in the tunables or a sysfs step however nested", () => {
    for (const v of ["always", "inherit", "madvise"]) expect(usesMthpSizes(scenario({ "hugepages-16kB/enabled": v }))).toBe(true);
    const sysfs = { do: "sysfs", path: "/sys/kernel/mm/transparent_hugepage/hugepages-1024kB/enabled", value: "always" };
    expect(usesMthpSizes(scenario({}, [{ do: "repeat", times: 2, steps: [{ do: "fork", child: "c", steps: [sysfs] }] }]))).toBe(true);
  });

  test("usesMthpSizes() is false for the PMD size alone and for mTHP sizes written never", () => {
    expect(usesMthpSizes(scenario({ enabled: "always", "hugepages-2048kB/enabled": "always", "hugepages-64kB/enabled": "never" }))).toBe(false);
    expect(usesMthpSizes(scenario({}, [{ do: "sysfs", path: "hugepages-2048kB/enabled", value: "always" }]))).toBe(false);
    for (const p of ["hot1-cold-hot2", "hot1-hot2", "synthetic-1tib", "scan-succeeded"]) expect(usesMthpSizes(loadPreset(p))).toBe(false);
  });
});

describe("reports of mthp-creep", () => {
  let c: CompareResult;
  beforeAll(async () => {
    c = await compareScenario(loadPreset("mthp-creep"), tsEngine());
  });

  test("compare prints a row per collapsing pass with a column for each folio size made, and the Rss after it", () => {
    const text = formatComparison(c);
    const table = text.slice(text.indexOf("khugepaged's collapses by pass"));
    const lines = table.split("\n");
    const made = [...new Set(c.results.flatMap((r) => r.khugepaged.collapsesByPass!.flatMap((p) => Object.keys(p.collapses))))];
    expect(lines[1].split(/\s+/)).toEqual(["variant", "pass", "start", "s", ...made.map((s) => s.slice(10)), "Rss", "kB"]);
    // The variants' rows one after the other: 7.2's (its one pass of 32 KiB folios), then the scaled rule's.
    const rows = c.results.flatMap((r) => r.khugepaged.collapsesByPass!);
    expect(rows.length).toBeGreaterThan(c.results[1].khugepaged.collapsesByPass!.length);
    rows.forEach((p, i) => {
      const cells = lines[2 + i].trim().split(/\s+/).filter((x) => !x.startsWith("7.2"));
      expect(cells[0]).toBe(String(p.pass));
      expect(cells.at(-1)!.replaceAll(",", "")).toBe(String(p.rssKb));
      expect(cells.slice(2, -1)).toEqual(made.map((s) => String(p.collapses[s] ?? "-")));
    });
  });

  test("compare's collapse table adds each task's Rss, AnonHugePages and thpmaps' counters at the end, per variant", () => {
    const text = formatComparison(c);
    const row = (label: string) => text.split("\n").find((l) => l.startsWith(`sparse: ${label} at the end`))!.split(/\s{2,}/).slice(1);
    for (const [i, r] of c.results.entries()) {
      const m = r.tasks[0].memory;
      expect(row("Rss")[i]).toBe(`${m.rssKb.toLocaleString("en")} kB`);
      expect(row("AnonHugePages")[i]).toBe(`${m.anonHugePagesKb.toLocaleString("en")} kB`);
      for (const [name, kb] of Object.entries(m.thp!)) expect(row(name)[i]).toBe(`${kb.toLocaleString("en")} kB`);
    }
  });

  test("run prints each task's thpmaps counters and the pass table without repeating the kernel log", () => {
    const [merged, scaled] = c.results.map(formatRun);
    expect(scaled).toMatch(/by folio size \(thpmaps\): anon-thp-pmd-aligned-2048kB [\d,]+ kB/);
    expect(merged).toMatch(/by folio size \(thpmaps\): anon-thp-pte-aligned-32kB [\d,]+ kB/);
    expect(merged.match(/mTHP collapse does not support/g)).toHaveLength(1);
    expect(scaled).toContain("khugepaged's collapses by pass and folio size");
  });

  test("--json holds each task's thp counters and khugepaged's collapsesByPass", () => {
    const json = JSON.parse(comparisonJson(c));
    for (const r of c.results) {
      const v = json.results[r.variant];
      expect(v.tasks.sparse.thp).toEqual(r.tasks[0].memory.thp);
      expect(v.khugepaged.collapsesByPass).toEqual(r.khugepaged.collapsesByPass);
    }
    expect(json.results["7.2+mthp-scaled"].khugepaged.collapsesByPass[0]).toMatchObject({ pass: 1, collapses: { "hugepages-64kB": 8 } });
  });

  test("--csv adds a column per thpmaps counter any sample has, each row the sample's kB", () => {
    const [header, ...rows] = seriesCsv(c.results).trimEnd().split("\n");
    const cols = header.split(",");
    const extra = cols.slice(cols.indexOf("pagesCollapsed") + 1);
    expect(extra).toContain("anon-thp-pte-aligned-64kB");
    const samples = c.results.flatMap((r) => r.series.map((p) => p.tasks.sparse));
    expect(rows).toHaveLength(samples.length);
    rows.forEach((line, i) => {
      const cells = line.split(",").slice(-extra.length).map(Number);
      expect(cells).toEqual(extra.map((k) => samples[i].thp?.[k] ?? 0));
    });
  });
});

describe("reports without mTHP sizes", () => {
  test("a scenario that turns no mTHP size on gets no thp, collapsesByPass, CSV column or pass table, under 7.2 too", async () => {
    const c = await compareScenario(loadPreset("scan-succeeded"), tsEngine(), { variants: ["6.18", "7.2"] });
    const json = comparisonJson(c);
    expect(json).not.toMatch(/"thp"|collapsesByPass/);
    expect(seriesCsv(c.results).split("\n")[0]).toBe(
      "variant,timeS,task,anonHugePagesKb,rssKb,lazyFreeKb,swapKb,accesses,dtlbLoadMisses,cyclesPerAccess,fullScans,pagesCollapsed");
    const text = formatComparison(c) + c.results.map(formatRun).join("");
    expect(text).not.toMatch(/thpmaps|by pass and folio size|anon-thp/);
    expect(text).toContain("1 PMD at");
  });
});
