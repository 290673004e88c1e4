/**
 * khugepaged's collapses per task: when the first and the last happened, how many, and
 * how much of what was collapsed was clean lazy-free memory (pages the task had given
 * back with MADV_FREE and not written since, which reclaim could have dropped).
 */
import { ScanResult } from "../core/scan_result.ts";
import type { CollapseEvent } from "../khugepaged/events.ts";

/** Collapses of one task's mm. */
export interface CollapseStats {
  count: number;
  firstNs: number | null;
  lastNs: number | null;
  /** Clean lazy-free base pages that went into a THP. */
  lazyfreePages: number;
}

/** Records khugepaged's successful collapses by mm name, from its collapse events. */
export class CollapseLog {
  readonly byTask = new Map<string, CollapseStats>();

  /** Listener for `Khugepaged.events`' "collapse" events. */
  readonly onCollapse = (e: CollapseEvent): void => {
    if (e.result !== ScanResult.SUCCEED) return;
    const s = this.stats(e.mm.name);
    s.count++;
    s.firstNs ??= e.ts;
    s.lastNs = e.ts;
    s.lazyfreePages += e.lazyfreePages;
  };

  /** The stats of `task` (zero if it had no collapse). */
  stats(task: string): CollapseStats {
    let s = this.byTask.get(task);
    if (!s) this.byTask.set(task, s = { count: 0, firstNs: null, lastNs: null, lazyfreePages: 0 });
    return s;
  }
}
