/**
 * Each scan-result preset ends, after khugepaged's one pass, with its result as the
 * status of the last mm_khugepaged_scan_pmd event in the trace.
 */
import { describe, expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { loadPreset, PRESETS } from "../host/scenario/mod.ts";

const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
const engine = wasmEngine(memory, core);

/** Statuses of the trace's mm_khugepaged_scan_pmd events, in order. */
function scanStatuses(trace: string): string[] {
  return [...trace.matchAll(/mm_khugepaged_scan_pmd: .*status=(\w+)/g)].map((m) => m[1]);
}

const scanPresets = PRESETS.filter((p) => p.scanResult !== undefined);

describe("scan-result presets", () => {
  test("there is a preset for every result the model can reach", () => {
    expect(scanPresets.map((p) => p.scanResult).sort()).toEqual([
      "alloc_huge_page_failed", "exceed_none_pte", "exceed_shared_pte", "exceed_swap_pte", "lack_referenced_page",
      "no_pte_table", "not_suitable_page_count", "page_lazyfree", "page_pmd_mapped", "succeeded",
    ]);
  });

  test.each(scanPresets.map((p) => [p.name, p.scanResult!]))(
    "runScenario() of preset %s ends with scan status %s",
    async (name, result) => {
      const r = await runScenario(loadPreset(name), engine, { tlbMode: "exact" });
      const statuses = scanStatuses(r.trace);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.at(-1)).toBe(result);
      expect(r.khugepaged.wakeups).toBe(1);
    },
  );
});
