/**
 * A run as a viewer sees it: after every interval of simulated time (with RunOptions
 * `frames`), one frame holding each task's PMD map and smaps figures, so that a page can
 * animate khugepaged's work.
 */
import type { Kernel } from "../mm/kernel.ts";
import { pmdMap } from "../mm/pmd_map.ts";
import { smapsRollup, type TableCache } from "../mm/smaps.ts";

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

/** Every task's map and figures now. */
export function takeFrame(k: Kernel, variant: string, timeS: number, endS: number): Frame {
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
