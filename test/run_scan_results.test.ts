/**
 * A run's tally of khugepaged's PMD scan results (`khugepaged.scanResults`): the
 * statuses of the daemon's mm_khugepaged_scan_pmd events, counted with tracing off too,
 * and shown by `run`'s text, `compare`'s table and `--json`.
 */
import { describe, expect, test } from "vitest";
import { SCAN_RESULTS } from "../host/core/scan_result.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { createCore } from "../host/node/load_core.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { formatRun } from "../host/report/run_report.ts";
import { compareScenario, type RunResult, runScenario, wasmEngine } from "../host/run/mod.ts";
import { loadPreset, PRESETS, validateScenario } from "../host/scenario/mod.ts";

const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
const engine = wasmEngine(memory, core);

/**
 * The statuses of khugepaged's own mm_khugepaged_scan_pmd lines (not MADV_COLLAPSE's) in
 * `r`'s trace, tallied in SCAN_RESULTS order under the names its variant traces.
 */
function traceTally(r: RunResult): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const m of r.trace.matchAll(/^ *khugepaged-\d+ .*mm_khugepaged_scan_pmd: .*status=(\w+)/gm)) {
    counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  }
  const names = SCAN_RESULTS.map((_, code) => getVariant(r.variant).traceString(code));
  return names.flatMap((s): Array<[string, number]> => (counts.has(s) ? [[s, counts.get(s)!]] : []));
}

/** The same scenario traced and untraced: the tally must not depend on the trace. */
async function tracedAndUntraced(name: string, durationS?: number): Promise<[RunResult, RunResult]> {
  const scenario = { ...loadPreset(name), ...(durationS !== undefined ? { durationS } : {}) };
  return [await runScenario(scenario, engine, { trace: true }), await runScenario(scenario, engine, { trace: false })];
}

const scanPresets = PRESETS.filter((p) => p.scanResult !== undefined);

describe("khugepaged.scanResults", () => {
  test.each(["scan-succeeded", "scan-exceed-none-pte", "scan-page-lazyfree", "scan-no-pte-table", "scan-alloc-huge-page-failed"])(
    "%s: the tally is the trace's, with tracing off too, and the reports show it",
    async (name) => {
      const own = scanPresets.find((p) => p.name === name)!.scanResult!;
      const [traced, untraced] = await tracedAndUntraced(name);
      const tally = traceTally(traced);
      expect(untraced.trace).not.toContain("mm_khugepaged_scan_pmd");
      expect(tally.find(([s]) => s === own)?.[1]).toBeGreaterThan(0);
      // Object.entries checks the SCAN_RESULTS order as well as the counts.
      expect(Object.entries(untraced.khugepaged.scanResults)).toEqual(tally);
      expect(Object.entries(traced.khugepaged.scanResults)).toEqual(tally);

      const line = `khugepaged scan results: ${tally.map(([s, n]) => `${s} ${n}`).join(", ")}`;
      expect(formatRun(untraced).split("\n")).toContain(line);
      const json = JSON.parse(comparisonJson({ scenario: name, variants: [untraced.variant], results: [untraced] }));
      expect(Object.entries(json.results[untraced.variant].khugepaged.scanResults)).toEqual(tally);
    },
  );

  test("every pass counts: 35 s of scan-exceed-none-pte scan its PMD 4 times", async () => {
    const [traced, untraced] = await tracedAndUntraced("scan-exceed-none-pte", 35);
    expect(traceTally(traced)).toEqual([["exceed_none_pte", 4]]);
    expect(untraced.khugepaged.wakeups).toBe(4);
    expect(untraced.khugepaged.scanResults).toEqual({ exceed_none_pte: 4 });
    expect(formatRun(untraced)).toContain("\nkhugepaged scan results: exceed_none_pte 4\n");
  });

  test("MADV_COLLAPSE's scans are traced but not counted", async () => {
    const s = validateScenario({
      name: "madv-collapse", tunables: { enabled: "madvise" }, durationS: 5,
      tasks: [{
        name: "test", vmas: [{ name: "region", size: "2 MiB", populate: true }],
        steps: [{ do: "madvise", vma: "region", advice: "MADV_HUGEPAGE" }, { do: "madvise", vma: "region", advice: "MADV_COLLAPSE" }],
      }],
    }, "madv-collapse");
    const r = await runScenario(s, engine, { variant: "lazyfree-skip" });
    expect(r.trace).toMatch(/^ *test-\d+ .*mm_khugepaged_scan_pmd: .*status=succeeded/m);
    expect(Object.entries(r.khugepaged.scanResults)).toEqual(traceTally(r));
    expect(r.khugepaged.scanResults.succeeded).toBeUndefined();
  });

  test("compare's table has one row per result found under any variant, 0 where a variant found none", async () => {
    const c = await compareScenario(loadPreset("scan-page-lazyfree"), engine, { variants: ["baseline", "lazyfree-skip"] });
    const table = formatComparison(c);
    expect(table).toMatch(/^scan result lack_referenced_page +1 +0$/m);
    expect(table).toMatch(/^scan result page_lazyfree +0 +1$/m);
    expect(table.match(/^scan result /gm)).toHaveLength(2);
    const json = JSON.parse(comparisonJson(c));
    expect(json.results.baseline.khugepaged.scanResults).toEqual({ lack_referenced_page: 1 });
    expect(json.results["lazyfree-skip"].khugepaged.scanResults).toEqual({ page_lazyfree: 1 });
  });

  test("each variant names a result as its kernel's trace does: 6.18's pmd_none is 7.1's no_pte_table", async () => {
    const c = await compareScenario(loadPreset("scan-no-pte-table"), engine, { variants: ["baseline", "lazyfree-skip"], trace: true });
    for (const r of c.results) expect(Object.entries(r.khugepaged.scanResults)).toEqual(traceTally(r));
    expect(c.results[0].khugepaged.scanResults.pmd_none).toBeGreaterThan(0);
    expect(c.results[1].khugepaged.scanResults.no_pte_table).toBe(c.results[0].khugepaged.scanResults.pmd_none);
    const table = formatComparison(c);
    expect(table).toMatch(/^scan result pmd_none +[1-9]\d* +0$/m);
    expect(table).toMatch(/^scan result no_pte_table +0 +[1-9]\d*$/m);
  });
});
