/**
 * A run as a viewer sees it: after every interval of simulated time, one frame holding
 * each task's PMD map and smaps figures, so that a page can animate khugepaged's work.
 */
import type { Kernel } from "../mm/kernel.ts";
import { pmdMap } from "../mm/pmd_map.ts";
import { smapsRollup, type TableCache } from "../mm/smaps.ts";
import type { Engine } from "../run/engine.ts";
import type { RunResult } from "../run/result.ts";
import { type RunOptions, type RunProgress, runScenario } from "../run/runner.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";

/** One task in one frame. */
export interface TaskFrame {
  name: string;
  /** False once the task has exited (its map is then empty). */
  alive: boolean;
  /** One state per 2 MiB range a VMA overlaps, in address order (indexes into PMD_STATES). */
  pmds: Uint8Array;
  anonHugePagesKb: number;
  lazyFreeKb: number;
  swapKb: number;
}

/** The state of every task at one moment of a run. */
export interface Frame {
  variant: string;
  timeS: number;
  /** The run's end as far as it is known (an estimate until the run is over). */
  endS: number;
  tasks: TaskFrame[];
}

export interface WatchOptions extends RunOptions {
  /**
   * Called with a frame after every interval, and at the end if the run ended between
   * intervals; a returned promise is awaited.
   */
  onFrame?: (frame: Frame) => void | Promise<void>;
}

/** Every task's map and figures now. */
function takeFrame(k: Kernel, variant: string, timeS: number, endS: number): Frame {
  const tasks = k.mms.map((mm): TaskFrame => {
    // Both read the same PTE tables: count each once.
    const byTable: TableCache = new Map();
    const m = smapsRollup(mm, byTable);
    return {
      name: mm.name, alive: mm.users > 0, pmds: pmdMap(mm, byTable),
      anonHugePagesKb: m.AnonHugePages, lazyFreeKb: m.LazyFree, swapKb: m.Swap,
    };
  });
  return { variant, timeS, endS, tasks };
}

/**
 * Run `scenario` like runScenario(), calling `onFrame` after every interval of
 * simulated time (the scenario's `intervalS`) and at the end.
 *
 * @example
 * const result = await watchScenario(loadPreset("hot1-cold-hot2"), await createEngine(), {
 *   variant: "lazyfree-skip",
 *   onFrame: (f) => console.log(f.timeS, f.tasks.map((t) => `${t.name}: ${t.anonHugePagesKb} kB huge`)),
 * });
 */
export async function watchScenario(scenario: Scenario, engine: Engine, options: WatchOptions = {}): Promise<RunResult> {
  const { onFrame, ...runOptions } = options;
  if (!onFrame) return runScenario(scenario, engine, runOptions);
  let kernel: Kernel | null = null;
  let lastS = -1;
  const result = await runScenario(scenario, engine, {
    ...runOptions,
    observe(k) {
      kernel = k;
      runOptions.observe?.(k);
    },
    async onInterval(p: RunProgress) {
      await runOptions.onInterval?.(p);
      if (!kernel) return;
      lastS = p.timeS;
      await onFrame(takeFrame(kernel, p.variant, p.timeS, p.endS));
    },
  });
  if (kernel && result.endS !== lastS) await onFrame(takeFrame(kernel, result.variant, result.endS, result.endS));
  return result;
}
