/**
 * `run --wakeups`: one row per khugepaged pass, consistent with the run's counters, and
 * the seed preset's 6.18 timeline on the kernel's clock.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { comparisonJson } from "../host/report/json_report.ts";
import { createCore } from "../host/node/load_core.ts";
import { type CompareResult, compareScenario, wasmEngine } from "../host/run/mod.ts";
import { loadPreset } from "../host/scenario/mod.ts";
import { runMain } from "./cli_in_process.ts";

describe("khugepaged's wake-ups on hot1-cold-hot2", () => {
  let c: CompareResult;
  beforeAll(async () => {
    const { memory, core } = await createCore({ maxBytes: 1024 * 1024 * 1024 });
    c = await compareScenario(loadPreset("hot1-cold-hot2"), wasmEngine(memory, core), { trace: false });
  }, 120_000);

  test("RunResult.wakeups has one row per pass, and its PMDs and collapses add up to the run's counters", () => {
    for (const r of c.results) {
      expect(r.wakeups).toHaveLength(r.khugepaged.wakeups);
      const pmds = Object.values(r.khugepaged.scanResults).reduce((a, b) => a + b, 0);
      expect(r.wakeups.reduce((a, w) => a + w.pmds, 0)).toBe(pmds);
      expect(r.wakeups.reduce((a, w) => a + w.collapses, 0)).toBe(r.khugepaged.pagesCollapsed);
      for (const w of r.wakeups) {
        expect(w.endS).toBeGreaterThanOrEqual(w.startS);
        // Without an allocation sleep the pass's wall time is its CPU time.
        if (!w.allocSlept) expect(w.cpuS).toBeCloseTo(w.endS - w.startS, 9);
        expect(w.progress).toBeGreaterThanOrEqual(4096);
      }
    }
  });

  test("6.18 (baseline) collapses hot1 over 8 wake-ups lasting more than 70.0 s", () => {
    const base = c.results.find((r) => r.variant === "baseline")!;
    const hot1 = base.wakeups.slice(0, 8);
    expect(hot1.every((w) => w.collapses === 8 && w.endedIn === "hot1")).toBe(true);
    expect(hot1[7].endS - hot1[0].startS).toBeGreaterThan(70.0);
    // The 8 passes are HZ=250 wheel periods apart: 10.24 s from the second on.
    for (let i = 2; i < 8; i++) expect(hot1[i].startS - hot1[i - 1].startS).toBeCloseTo(10.24, 9);
    expect(base.tasks.find((t) => t.name === "hot1")!.collapses.count).toBe(64);
  });

  test("comparisonJson() adds \"wakeups\" only when asked", () => {
    const plain = JSON.parse(comparisonJson(c));
    expect(plain.results.baseline.wakeups).toBeUndefined();
    const withRows = JSON.parse(comparisonJson(c, { wakeups: true }));
    expect(withRows.results.baseline.wakeups).toHaveLength(c.results[0].khugepaged.wakeups);
    expect(withRows.results.baseline.wakeups[0]).toMatchObject({ startS: 0, pmds: 8, collapses: 8, endedIn: "hot1" });
    // hot2 is measured after khugepaged's last pass over it only with the patch.
    expect(plain.results.baseline.tasks.hot2.smallPmdsWhenMeasured).toBe(64);
    expect(plain.results["lazyfree-skip"].tasks.hot2.smallPmdsWhenMeasured).toBe(
      64 - c.results[1].wakeups.filter((w) => w.startS < c.results[1].tasks.find((t) => t.name === "hot2")!.measurement!.startS)
        .filter((w) => w.endedIn === "hot2").reduce((a, w) => a + w.collapses, 0),
    );
  });
});

test("khugesim run --wakeups prints a table per variant", async () => {
  const scenario = JSON.stringify({
    name: "one", tunables: { enabled: "madvise" }, variants: ["baseline"], durationS: 25,
    tasks: [{ name: "t", vmas: [{ name: "m", size: "32 MiB", populate: true }], steps: [{ do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" }] }],
  });
  const { writeFile, mkdtemp } = await import("node:fs/promises");
  const dir = await mkdtemp("/tmp/khugesim-wakeups-");
  await writeFile(`${dir}/one.json`, scenario);
  const out = await runMain("run", `${dir}/one.json`, "--wakeups");
  expect(out.code).toBe(0);
  const table = out.stdout.slice(out.stdout.indexOf("khugepaged wake-ups under baseline (HZ 250):"));
  const rows = table.split("\n").slice(2).filter((l) => l.trim() !== "");
  // 16 PMDs, 8 per pass: two collapsing passes, then idle ones every 10.24 s until 25 s.
  expect(rows.map((l) => l.trim().split(/\s+/)[6])).toEqual(["8", "8", "0"]);
});
