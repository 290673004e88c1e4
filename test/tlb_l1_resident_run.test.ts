import { describe, expect, test, vi } from "vitest";
import { makeEngine } from "../host/node/make_engine.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { compareScenario } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";

/** Whether TaskTlb.run() may take the L1 shortcut, and how often it did. */
const shortcut = vi.hoisted(() => ({ on: true, taken: 0 }));
vi.mock("../host/tlb/l1_resident.ts", async (importOriginal) => {
  const m = await importOriginal<typeof import("../host/tlb/l1_resident.ts")>();
  return {
    runResidentL1: (...args: Parameters<typeof m.runResidentL1>) => {
      if (!shortcut.on) return false;
      const taken = m.runResidentL1(...args);
      if (taken) shortcut.taken++;
      return taken;
    },
  };
});

describe("compareScenario() with every access simulated", () => {
  test("gives the same bytes whether all-2 MiB access phases take the L1 shortcut or the core", async () => {
    // THPs at fault under enabled=always: "m" is all 2 MiB pages, "few" 4 KiB ones. The
    // sweep over "few" evicts the ten least recently used of m's sixteen L1 entries, and the
    // hot phase's L1 misses count those of its half of m: they show the LRU order the
    // shortcut left.
    const scenario = validateScenario({
      name: "resident", tunables: { enabled: "always" }, variants: ["baseline", "lazyfree-skip"], tlb: "zen5",
      tasks: [
        {
          name: "huge",
          vmas: [{ name: "m", size: "32 MiB", populate: true }, { name: "few", size: "1 MiB", populate: true, flags: ["nohugepage"] }],
          steps: [
            { do: "access", vma: "m", pattern: { kind: "uniform" }, count: 2_000_000 },
            { do: "access", vma: "few", pattern: { kind: "sequential", stride: 4096 }, count: 90 },
            { do: "access", vma: "m", pattern: { kind: "hot", hotFraction: 0.5, hotProbability: 1 }, count: 500, measure: true },
            { do: "sleep", seconds: 1 },
            { do: "access", vma: "m", pattern: { kind: "zipf", exponent: 0.8 }, count: 1_000_000 },
          ],
        },
        {
          name: "small", vmas: [{ name: "m", size: "8 MiB", populate: true, flags: ["nohugepage"] }],
          steps: [{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 500_000, measure: true }],
        },
      ],
    }, "resident");
    const tool = { name: "khugesim", version: "test" };
    const run = async () =>
      comparisonJson(await compareScenario(scenario, await makeEngine("wasm"), { tlbMode: "exact", trace: true }), { tool });
    const withShortcut = await run();
    const taken = shortcut.taken;
    shortcut.on = false;
    const coreOnly = await run();
    expect(taken).toBeGreaterThan(0);
    expect(withShortcut).toBe(coreOnly);
  }, 120_000);
});
