/**
 * The `do: sysfs` step: a write under /sys/kernel/mm/transparent_hugepage/ during a run
 * with the store handler's side effects (mm/khugepaged.c scan_sleep_millisecs_store and
 * alloc_sleep_millisecs_store wake khugepaged; mm/huge_memory.c enabled_store and
 * anon_enabled_store call start_stop_khugepaged), and the kernel's errnos at load time.
 */
import { describe, expect, test } from "vitest";
import { MAX_PTES_NONE_WARNING } from "../host/khugepaged/mthp_collapse.ts";
import { createCore } from "../host/node/load_core.ts";
import { type Engine, runScenario, tsEngine } from "../host/run/mod.ts";
import { type ScenarioInput, validateScenario } from "../host/scenario/mod.ts";
import { ScenarioError } from "../host/scenario/scenario_error.ts";

async function engine(): Promise<Engine> {
  const { memory } = await createCore({ maxBytes: 256 * 1024 * 1024 });
  return tsEngine(memory);
}

/** One task with a 4 MiB VMA faulted in as 4 KiB pages (THP is madvise-only), then `steps`. */
function scenario(steps: unknown[], tunables: Record<string, string | number> = {}, durationS = 40): ScenarioInput {
  return {
    name: "sysfs-step", variants: ["7.1"], durationS, tunables: { enabled: "madvise", ...tunables },
    memory: { totalBytes: 64 * 1024 * 1024 },
    tasks: [{ name: "t", vmas: [{ name: "buf", size: 4 * 1024 * 1024, populate: true }], steps }],
  } as ScenarioInput;
}

const run = async (s: ScenarioInput) => runScenario(validateScenario(s), await engine());

describe("do: sysfs", () => {
  test("a write to scan_sleep_millisecs ends the 60 s scan sleep at once", async () => {
    const steps = [{ do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" }, { do: "sleep", seconds: 10 }];
    const sleepy = { "khugepaged/scan_sleep_millisecs": 60000 };
    const without = await run(scenario(steps, sleepy, 20));
    const withStep = await run(scenario([...steps, { do: "sysfs", path: "khugepaged/scan_sleep_millisecs", value: "60000\n" }], sleepy, 20));
    expect(without.wakeups.map((w) => w.startS)).toEqual([0]);
    // The same value, written again: the kernel still resets the expiry and wakes the thread.
    expect(withStep.wakeups.map((w) => w.startS)).toEqual([0, 10]);
  });

  test("enabled=never stops khugepaged for the rest of the sleep; madvise starts it again and the mm registers then", async () => {
    const steps = (enabled: string) => [
      { do: "sysfs", path: "/sys/kernel/mm/transparent_hugepage/enabled", value: enabled },
      { do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" },
      { do: "sleep", seconds: 5 },
      { do: "sysfs", path: "enabled", value: "madvise" },
      { do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" },
    ];
    const on = await run(scenario(steps("madvise")));
    const off = await run(scenario(steps("never")));
    expect(on.tasks[0].collapses.firstS).toBeLessThan(1);
    // With THP off the first MADV_HUGEPAGE registers nothing: the collapses wait for the second, at 5 s.
    expect(off.tasks[0].collapses.firstS).toBeGreaterThanOrEqual(5);
    expect(off.tasks[0].collapses.firstS).toBeLessThan(6);
    expect(off.tasks[0].collapses.count).toBe(on.tasks[0].collapses.count);
  });

  test("hugepages-2048kB/enabled=never mid-run stops khugepaged although the top level is on", async () => {
    const steps = [
      { do: "sysfs", path: "hugepages-2048kB/enabled", value: "never" },
      { do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" },
    ];
    const r = await run(scenario(steps));
    expect(r.khugepaged.pagesCollapsed).toBe(0);
    expect(r.wakeups).toEqual([]);
  });

  test("under 7.2 the result holds the per-size stats (the PMD size counted too); before 7.2 it has no mthpStats or dmesg key", async () => {
    const steps = [
      { do: "sysfs", path: "hugepages-64kB/enabled", value: "always" },
      { do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" },
      { do: "sleep", seconds: 5 },
      { do: "sysfs", path: "khugepaged/max_ptes_none", value: 300 },
    ];
    const s = scenario(steps);
    const r72 = await run({ ...s, variants: ["7.2"] } as ScenarioInput);
    // The 4 MiB VMA's two PMDs collapse as 2 MiB THPs at once; nothing is left for 64 kB.
    expect(r72.khugepaged.mthpStats).toEqual({ "hugepages-2048kB": { collapse_alloc: 2 } });
    const r71 = await run(s);
    expect(r71.khugepaged).not.toHaveProperty("mthpStats");
    expect(r71.khugepaged).not.toHaveProperty("dmesg");
  });

  test("under 7.2 a max_ptes_none of 300 with 64 kB on is accepted, acts as 0 for 64 kB, and the kernel warns once in the result", async () => {
    const steps = [
      { do: "sysfs", path: "hugepages-64kB/enabled", value: "always" },
      { do: "sysfs", path: "hugepages-2048kB/enabled", value: "never" },
      { do: "sysfs", path: "khugepaged/max_ptes_none", value: 300 },
      { do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" },
    ];
    const r = await run({ ...scenario(steps), variants: ["7.2"] } as ScenarioInput);
    expect(r.khugepaged.dmesg).toEqual([MAX_PTES_NONE_WARNING]);
    // The value falls back to 0 for 64 kB (v18): every window of the populated 4 MiB is full and collapses.
    expect(r.khugepaged.collapsesByPass!.map((p) => p.collapses)).toEqual([{ "hugepages-64kB": (4 * 1024) / 64 }]);
    expect(r.khugepaged.wakeups).toBeGreaterThan(1);
  });

  test.each([
    [{ path: "khugepaged/max_ptes_nothing", value: 1 }, "tasks[0].steps[1].path", /ENOENT/],
    [{ path: "hugepages-8kB/enabled", value: "always" }, "tasks[0].steps[1].path", /ENOENT.*hugepages-16kB/],
    [{ path: "khugepaged/max_ptes_none", value: 512 }, "tasks[0].steps[1].value", /EINVAL.*0 to 511/],
    [{ path: "hugepages-64kB/enabled", value: "sometimes" }, "tasks[0].steps[1].value", /EINVAL.*inherit/],
  ])("%j is refused at load with the kernel's errno, naming the step", (write, path, reason) => {
    const s = scenario([{ do: "sleep", seconds: 1 }, { do: "sysfs", ...write }]);
    let err: unknown;
    try {
      validateScenario(s, "t.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).path).toBe(path);
    expect((err as ScenarioError).reason).toMatch(reason);
    expect((err as Error).message).not.toContain("\n");
  });
});
