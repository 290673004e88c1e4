/**
 * khugepaged on a shared CPU: the EEVDF burst model (host/kernel/eevdf.ts) against what
 * EEVDF's rules imply, the least-loaded CPU, and scenarios with machine.cpus, nice and
 * SCHED_IDLE; plus the scenario fields' bad input.
 */
import { describe, expect, test } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { EevdfBurst } from "../host/kernel/eevdf.ts";
import { baseSliceNs, leastLoaded } from "../host/kernel/khugepaged_cpu.ts";
import { IDLE_WEIGHT, KHUGEPAGED_WEIGHT, NICE_0_LOAD, taskWeight } from "../host/kernel/sched_weights.ts";

const SLICE = 1_400_000;

describe("EevdfBurst", () => {
  test("with no other task, work takes its CPU time", () => {
    expect(new EevdfBurst([], KHUGEPAGED_WEIGHT, SLICE).wallAt(5e6)).toBe(5e6);
  });

  test("beside one nice-0 task khugepaged runs a slice at once, then gets its weight share", () => {
    const b = new EevdfBurst([NICE_0_LOAD], KHUGEPAGED_WEIGHT, SLICE);
    // The running task ends its half-used slice; then it is ahead of V and khugepaged is the only eligible one.
    expect(b.wallAt(0)).toBe(SLICE / 2);
    expect(b.wallAt(SLICE)).toBe(SLICE / 2 + SLICE);
    // Long work: each further slice of khugepaged's costs the other task 1024/15 of a slice.
    const work = 50 * SLICE;
    const stretch = b.wallAt(work) / work;
    const share = (NICE_0_LOAD + KHUGEPAGED_WEIGHT) / KHUGEPAGED_WEIGHT;
    expect(stretch).toBeGreaterThan(share * 0.95);
    expect(stretch).toBeLessThan(share * 1.05);
  });

  test("beside SCHED_IDLE tasks khugepaged (weight 15 against 3) is hardly slowed", () => {
    const b = new EevdfBurst([IDLE_WEIGHT, IDLE_WEIGHT], KHUGEPAGED_WEIGHT, SLICE);
    const work = 20 * SLICE;
    expect(b.wallAt(work) / work).toBeLessThan(1.5);
  });

  test("wallAt() is monotonic in the work asked about", () => {
    const b = new EevdfBurst([NICE_0_LOAD, NICE_0_LOAD, 820], KHUGEPAGED_WEIGHT, SLICE);
    let last = -1;
    for (let w = 0; w <= 10 * SLICE; w += SLICE / 3) {
      const t = b.wallAt(w);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
});

describe("CPUs and weights", () => {
  test("taskWeight() follows sched_prio_to_weight: nice 0 = 1024, nice 19 = 15, SCHED_IDLE = 3", () => {
    expect([taskWeight(0), taskWeight(19), taskWeight(-20), taskWeight(5, "SCHED_IDLE")]).toEqual([1024, 15, 88761, 3]);
    expect(() => taskWeight(20)).toThrow(RangeError);
  });

  test("baseSliceNs() scales 700 µs by 1 + ilog2(min(cpus, 8))", () => {
    expect([1, 2, 3, 4, 8, 64].map(baseSliceNs)).toEqual([700_000, 1_400_000, 1_400_000, 2_100_000, 2_800_000, 2_800_000]);
  });

  test("leastLoaded() gives khugepaged the lightest CPU's tasks", () => {
    expect(leastLoaded(2, [1024, 1024, 1024])).toEqual([1024]);
    expect(leastLoaded(4, [1024, 1024, 1024])).toEqual([]);
    expect(leastLoaded(2, [1024, 3, 3])).toEqual([3, 3]);
  });
});

/** A task that registers 32 MiB with khugepaged and then loads from it for 60 s (runnable all along). */
function busy(extra: Record<string, unknown>, task: Record<string, unknown> = {}) {
  return validateScenario({
    name: "busy", tunables: { enabled: "madvise" }, variants: ["baseline"], durationS: 45, ...extra,
    tasks: [{
      name: "t", vmas: [{ name: "m", size: "32 MiB", populate: true }], ...task,
      steps: [
        { do: "madvise", vma: "m", advice: "MADV_HUGEPAGE" },
        { do: "access", vma: "m", pattern: { kind: "uniform" }, durationS: 60, rate: 1e4 },
      ],
    }],
  }, "busy");
}

describe("machine.cpus in a run", () => {
  async function passes(extra: Record<string, unknown>, task?: Record<string, unknown>) {
    const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
    return (await runScenario(busy(extra, task), wasmEngine(memory, core), { trace: false })).wakeups;
  }

  test("without machine.cpus khugepaged has a CPU of its own: wall time is CPU time", async () => {
    for (const w of await passes({})) expect(w.endS - w.startS).toBeCloseTo(w.cpuS, 9);
  });

  test("on one CPU beside a runnable nice-0 task, a collapsing pass takes longer than its CPU time", async () => {
    const rows = await passes({ machine: { cpus: 1 } });
    const collapsing = rows.filter((w) => w.collapses > 0 && w.startS > 0);
    expect(collapsing.length).toBeGreaterThan(0);
    for (const w of collapsing) expect(w.endS - w.startS).toBeGreaterThan(w.cpuS * 10);
    // On two CPUs khugepaged has the idle one.
    for (const w of await passes({ machine: { cpus: 2 } })) expect(w.endS - w.startS).toBeCloseTo(w.cpuS, 9);
  });

  test("a SCHED_IDLE task slows khugepaged less than a nice-0 one", async () => {
    const wall = (rows: Awaited<ReturnType<typeof passes>>) => rows.filter((w) => w.startS > 0).reduce((a, w) => a + w.endS - w.startS, 0);
    const normal = wall(await passes({ machine: { cpus: 1 } }));
    const idle = wall(await passes({ machine: { cpus: 1 } }, { policy: "SCHED_IDLE" }));
    expect(idle).toBeLessThan(normal / 5);
  });

  test("bad kernel:, machine: and task scheduling fields are one line naming the field", () => {
    const msg = (extra: Record<string, unknown>, task?: Record<string, unknown>) => {
      try {
        busy(extra, task);
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(msg({ kernel: { hz: 200 } })).toBe('Cannot load scenario "busy": kernel.hz must be one of 100, 250, 300, 1000 (CONFIG_HZ), got 200');
    expect(msg({ kernel: { costs: { allocNs: -1 } } })).toMatch(/kernel\.costs\.allocNs must be at least 0, got -1$/);
    expect(msg({ kernel: { costs: { remapNs: 5e9 } } })).toMatch(/kernel\.costs\.remapNs must be at most 1000000000 ns \(1 s\)/);
    expect(msg({ machine: { cpus: 0 } })).toMatch(/machine\.cpus must be at least 1, got 0$/);
    expect(msg({}, { nice: -21 })).toMatch(/tasks\[0\]\.nice must be at least -20, got -21$/);
  });
});
