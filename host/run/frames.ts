/**
 * A run as a viewer sees it: after every interval of simulated time (with RunOptions
 * `frames`), one frame holding each task's PMD map, khugepaged's last scan status of each
 * PMD, smaps figures and khugepaged's cursor, so that a page can animate khugepaged's work.
 */
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { mappedPmdRuns, pmdMapAndFree } from "../mm/pmd_map.ts";
import { anonHugePagesKb } from "../mm/smaps.ts";
import { PMD_SIZE } from "../mm/vma.ts";

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

/** Takes frames of a kernel's run, remembering each PMD's last scan status in between. */
export class FrameCamera {
  readonly #k: KhugepagedKernel;
  /** Each mm's PMDs khugepaged has scanned, by PMD number, with the last status (a ScanResult code). */
  readonly #log = new Map<Mm, Map<number, number>>();

  constructor(k: KhugepagedKernel) {
    this.#k = k;
    k.khugepaged.events.on("scan_pmd", (e) => {
      let byPmd = this.#log.get(e.mm);
      if (!byPmd) this.#log.set(e.mm, byPmd = new Map());
      byPmd.set(Math.floor(e.address / PMD_SIZE), e.result);
    });
  }

  /** Every task's map and figures now. */
  take(variant: string, timeS: number, endS: number): Frame {
    const tasks = this.#k.mms.map((mm): TaskFrame => {
      const { pmds, lazyFreeKb, swapKb } = pmdMapAndFree(mm), pmdRuns = mappedPmdRuns(mm);
      return {
        name: mm.name, alive: mm.users > 0, pmds, pmdRuns, lastScan: lastScans(pmdRuns, pmds.length, this.#log.get(mm)),
        anonHugePagesKb: anonHugePagesKb(mm), lazyFreeKb, swapKb,
      };
    });
    const c = this.#k.khugepaged.cursor;
    return { variant, timeS, endS, tasks, cursor: c.mm ? { task: c.mm.name, address: c.address } : null };
  }
}
