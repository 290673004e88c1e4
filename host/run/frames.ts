/**
 * A run as a viewer sees it: after every interval of simulated time (with RunOptions
 * `frames`), one frame holding each task's PMD map, khugepaged's last scan status of each
 * PMD, smaps figures and khugepaged's cursor, so that a page can animate khugepaged's work;
 * or (`frames: "changes"`) the same with each map as what changed since the frame before.
 */
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { anonHugePagesKb } from "../mm/smaps.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import { TaskMap } from "./task_map.ts";

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

/**
 * One task in a frame of changes (RunOptions `frames: "changes"`): its figures, and its
 * map as the PMDs that changed since the task's previous frame, so that a viewer of a
 * terabyte map receives what changed, not the map.
 */
export interface TaskChanges {
  name: string;
  alive: boolean;
  /** As TaskFrame's. */
  pmdRuns: number[];
  /** PMDs in the map. */
  length: number;
  /**
   * Indexes of the PMDs `pmds` and `lastScan` give, ascending; null when they are the
   * whole map (the task's first frame, or one whose PMDs moved or much changed).
   */
  at: Uint32Array | null;
  /** States (indexes into PMD_STATES) and last scan statuses plus one, as TaskFrame's. */
  pmds: Uint8Array;
  lastScan: Uint8Array;
  anonHugePagesKb: number;
  lazyFreeKb: number;
  swapKb: number;
}

/** A Frame whose maps are the changes since the frame before. */
export interface FrameChanges extends Omit<Frame, "tasks"> {
  tasks: TaskChanges[];
}

/** Takes frames of a kernel's run from maps it keeps up to date (task_map.ts). */
export class FrameCamera {
  readonly #k: KhugepagedKernel;
  /** Each mm's PMDs khugepaged has scanned, by PMD number, with the last status (a ScanResult code). */
  readonly #log = new Map<Mm, Map<number, number>>();
  readonly #maps = new Map<Mm, TaskMap>();

  constructor(k: KhugepagedKernel) {
    this.#k = k;
    k.khugepaged.events.on("scan_pmd", (e) => {
      let byPmd = this.#log.get(e.mm);
      if (!byPmd) this.#log.set(e.mm, byPmd = new Map());
      const pmdNo = Math.floor(e.address / PMD_SIZE);
      byPmd.set(pmdNo, e.result);
      this.#maps.get(e.mm)?.scanned(pmdNo, e.result);
    });
  }

  /** Every task's map and figures now. */
  take(variant: string, timeS: number, endS: number): Frame {
    return this.#frame(variant, timeS, endS, (map, mm) => {
      map.update();
      return { pmds: map.pmds.slice(), lastScan: map.lastScan.slice(), ...figures(map, mm) };
    });
  }

  /** Every task's figures now and what changed in its map since the last call. */
  takeChanges(variant: string, timeS: number, endS: number): FrameChanges {
    return this.#frame(variant, timeS, endS, (map, mm) => {
      const u = map.update();
      const [pmds, lastScan] = u.whole ? [map.pmds.slice(), map.lastScan.slice()]
        : [Uint8Array.from(u.at, (i) => map.pmds[i]), Uint8Array.from(u.at, (i) => map.lastScan[i])];
      return { length: map.pmds.length, at: u.whole ? null : u.at, pmds, lastScan, ...figures(map, mm) };
    });
  }

  #frame<T>(variant: string, timeS: number, endS: number, task: (map: TaskMap, mm: Mm) => T): Omit<Frame, "tasks"> & { tasks: T[] } {
    const tasks = this.#k.mms.map((mm) => {
      let map = this.#maps.get(mm);
      if (!map) {
        let log = this.#log.get(mm);
        if (!log) this.#log.set(mm, log = new Map());
        this.#maps.set(mm, map = new TaskMap(mm, log));
      }
      return task(map, mm);
    });
    const c = this.#k.khugepaged.cursor;
    return { variant, timeS, endS, tasks, cursor: c.mm ? { task: c.mm.name, address: c.address } : null };
  }
}

/** A task's figures and PMD runs, as both kinds of frame give them. */
function figures(map: TaskMap, mm: Mm) {
  return {
    name: mm.name, alive: mm.users > 0, pmdRuns: map.runs,
    anonHugePagesKb: anonHugePagesKb(mm), lazyFreeKb: map.lazyFreeKb, swapKb: map.swapKb,
  };
}
