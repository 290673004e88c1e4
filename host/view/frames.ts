/**
 * A run as a viewer sees it: after every interval of simulated time, one frame holding
 * each task's PMD map and smaps figures, so that a page can animate khugepaged's work.
 */
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { mappedPmdRuns, pmdMapAndFree } from "../mm/pmd_map.ts";
import { anonHugePagesKb } from "../mm/smaps.ts";
import { PMD_SIZE } from "../mm/vma.ts";
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
  /** Where those PMDs are: runs of PMD numbers (address >> 21), `[first, count, first, count, …]`. */
  pmdRuns: number[];
  /**
   * Per PMD of `pmds`, the last status khugepaged's scan gave it (mm_khugepaged_scan_pmd's,
   * a ScanResult code) plus one; 0 for a PMD khugepaged has not scanned.
   */
  lastScan: Uint8Array;
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
  /** khugepaged's cursor (`khugepaged_scan.mm_slot`, `.address`): the task it scans next and where; null at the list head. */
  cursor: { task: string; address: number } | null;
}

export interface WatchOptions extends RunOptions {
  /**
   * Called with a frame after every interval, and at the end if the run ended between
   * intervals; a returned promise is awaited.
   */
  onFrame?: (frame: Frame) => void | Promise<void>;
}

/** Each mm's PMDs khugepaged has scanned, by PMD number, with the last status (a ScanResult code). */
type ScanLog = Map<Mm, Map<number, number>>;

/** Per PMD of `runs`, its last status in `log` plus one (0: not scanned). */
function lastScans(runs: number[], count: number, log: Map<number, number> | undefined): Uint8Array {
  const out = new Uint8Array(count);
  if (!log || log.size === 0) return out;
  // Index of each run's first PMD, to place the logged PMDs (far fewer than the map's).
  const firstIndex: number[] = [];
  for (let r = 0, i = 0; r < runs.length; i += runs[r + 1], r += 2) firstIndex.push(i);
  for (const [p, result] of log) {
    let lo = 0, hi = firstIndex.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[2 * mid] <= p) lo = mid;
      else hi = mid - 1;
    }
    const offset = p - runs[2 * lo];
    if (offset >= 0 && offset < runs[2 * lo + 1]) out[firstIndex[lo] + offset] = result + 1;
  }
  return out;
}

/** Every task's map and figures now. */
function takeFrame(k: Kernel, log: ScanLog, variant: string, timeS: number, endS: number): Frame {
  const tasks = k.mms.map((mm): TaskFrame => {
    const { pmds, lazyFreeKb, swapKb } = pmdMapAndFree(mm), pmdRuns = mappedPmdRuns(mm);
    return {
      name: mm.name, alive: mm.users > 0, pmds, pmdRuns, lastScan: lastScans(pmdRuns, pmds.length, log.get(mm)),
      anonHugePagesKb: anonHugePagesKb(mm), lazyFreeKb, swapKb,
    };
  });
  const c = k.khugepaged.cursor;
  return { variant, timeS, endS, tasks, cursor: c.mm ? { task: c.mm.name, address: c.address } : null };
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
  const log: ScanLog = new Map();
  let lastS = -1;
  const result = await runScenario(scenario, engine, {
    ...runOptions,
    observe(k) {
      kernel = k;
      k.khugepaged.onScanPmd = (mm, address, result) => {
        let byPmd = log.get(mm);
        if (!byPmd) log.set(mm, byPmd = new Map());
        byPmd.set(Math.floor(address / PMD_SIZE), result);
      };
      runOptions.observe?.(k);
    },
    async onInterval(p: RunProgress) {
      await runOptions.onInterval?.(p);
      if (!kernel) return;
      lastS = p.timeS;
      await onFrame(takeFrame(kernel, log, p.variant, p.timeS, p.endS));
    },
  });
  if (kernel && result.endS !== lastS) await onFrame(takeFrame(kernel, log, result.variant, result.endS, result.endS));
  return result;
}
