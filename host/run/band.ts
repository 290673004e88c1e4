/**
 * The seed experiment's band: one variant re-run over the timer grid's phase and over
 * khugepaged's collapse cost within its documented range, so that a comparison shows how
 * far the measured figures move with what the program's description leaves open (when
 * khugepaged's wake-ups fall against the tasks, how long a collapse takes). No knob is
 * fitted: the band is every run's figures, min to max.
 */
import { msecsToJiffies } from "../kernel/jiffies.ts";
import { levelGranule, wheelLevel } from "../kernel/timer_wheel.ts";
import type { VariantName } from "../kernel/variants/mod.ts";
import { collapseNs, DEFAULT_COSTS, type KhugepagedCosts } from "../khugepaged/costs.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import type { Engine } from "./engine.ts";
import { defaultJiffiesAtStart } from "./kernel_clock.ts";
import { runScenario } from "./runner.ts";

/** The upper end of a collapse's CPU time: the 7–9 ms per collapse khugepaged.md §3.7 reports for a real machine. */
export const SLOW_COLLAPSE_NS = 9_000_000;

/** A task's figures over the band's runs, min and max. */
export interface TaskBand {
  dtlbLoadMisses: [number, number];
  cyclesPerAccess: [number, number] | null;
  smallPmdsAtMeasure: [number, number] | null;
}

export interface Band {
  variant: string;
  phases: number;
  runs: number;
  tasks: Record<string, TaskBand>;
}

/** Costs whose successful collapse takes `SLOW_COLLAPSE_NS`, the rest as given. */
function slowCosts(c: KhugepagedCosts): Partial<KhugepagedCosts> {
  const others = collapseNs({ ...c, remapNs: 0 }, "succeeded", false, 0);
  return { ...c, remapNs: Math.max(0, SLOW_COLLAPSE_NS - others) };
}

function widen(r: [number, number] | null, x: number | null): [number, number] | null {
  if (x === null) return r;
  return r === null ? [x, x] : [Math.min(r[0], x), Math.max(r[1], x)];
}

/**
 * Run `variant` at `phases` grid phases spread over one granule of the wheel level the
 * scan sleep lands in, each with the scenario's costs and with slow collapses.
 */
export async function seedBand(scenario: Scenario, engine: Engine, variant: string, phases = 8): Promise<Band> {
  const sleepMs = Number(scenario.tunables["khugepaged/scan_sleep_millisecs"] ?? 10_000);
  const timeout = msecsToJiffies(sleepMs, scenario.kernel.hz);
  const granule = levelGranule(wheelLevel(timeout, scenario.kernel.hz));
  const base = scenario.kernel.jiffiesAtStart ?? defaultJiffiesAtStart(scenario.seed);
  const first = Math.floor(base / granule) * granule;
  const costs = { ...DEFAULT_COSTS, ...scenario.kernel.costs };
  const tasks: Record<string, TaskBand> = {};
  let runs = 0;
  const mark = engine.memory.usedBytes;
  for (let i = 0; i < phases; i++) {
    for (const c of [costs, slowCosts(costs)]) {
      const s: Scenario = { ...scenario, kernel: { ...scenario.kernel, jiffiesAtStart: first + (i * granule) / phases, costs: c } };
      let r;
      try {
        r = await runScenario(s, engine, { variant: variant as VariantName, trace: false });
      } finally {
        engine.memory.rewind(mark);
      }
      runs++;
      for (const t of r.tasks) {
        const b = tasks[t.name] ??= { dtlbLoadMisses: [Infinity, -Infinity], cyclesPerAccess: null, smallPmdsAtMeasure: null };
        const misses = t.perf?.dtlbLoadMisses ?? 0;
        b.dtlbLoadMisses = [Math.min(b.dtlbLoadMisses[0], misses), Math.max(b.dtlbLoadMisses[1], misses)];
        b.cyclesPerAccess = widen(b.cyclesPerAccess, (t.measurement ?? t.perf)?.cyclesPerAccess ?? null);
        b.smallPmdsAtMeasure = widen(b.smallPmdsAtMeasure, t.smallPmdsAtMeasure);
      }
    }
  }
  return { variant, phases, runs, tasks };
}
