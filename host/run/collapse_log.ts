/**
 * khugepaged's collapses per task: when the first and the last happened, how many, and
 * how much of what was collapsed was clean lazy-free memory (pages the task had given
 * back with MADV_FREE and not written since, which reclaim could have dropped).
 */
import { PTES_PER_PMD } from "../core/layout.ts";
import { pteCleanLazyfree, pteNormal } from "../core/pte.ts";
import type { CoreMemory } from "../core/core_memory.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { ScanResult } from "../core/scan_result.ts";
import type { CollapseEvent } from "../khugepaged/daemon.ts";
import { pmdOf } from "../mm/mm.ts";

/** Collapses of one task's mm. */
export interface CollapseStats {
  count: number;
  firstNs: number | null;
  lastNs: number | null;
  /** Clean lazy-free base pages that went into a THP. */
  lazyfreePages: number;
}


/**
 * Records khugepaged's successful collapses by mm name. It wraps the scan core to look
 * at each PTE table just before the isolate step, the last moment its pages are still
 * there to be seen.
 */
export class CollapseLog {
  readonly byTask = new Map<string, CollapseStats>();
  readonly #memory: CoreMemory;
  #lastIsolate = { pmdNo: -1, lazyfree: 0 };

  constructor(memory: CoreMemory) {
    this.#memory = memory;
  }

  /** `inner` with its isolate step observed. */
  wrap(inner: ScanCore): ScanCore {
    return {
      name: inner.name,
      scanPmds: (...args) => inner.scanPmds(...args),
      isolatePmd: (table, pmdNo, ...rest) => {
        this.#lastIsolate = { pmdNo, lazyfree: this.#countLazyfree(table) };
        inner.isolatePmd(table, pmdNo, ...rest);
      },
    };
  }

  #countLazyfree(table: number): number {
    const u32 = this.#memory.u32;
    let n = 0;
    for (let i = 0, w = table >>> 2; i < PTES_PER_PMD; i++, w += 2) if (pteNormal(u32[w]) && pteCleanLazyfree(u32[w])) n++;
    return n;
  }

  /** The daemon's `onCollapse` hook. */
  readonly onCollapse = (e: CollapseEvent): void => {
    if (e.result !== ScanResult.SUCCEED) return;
    const s = this.stats(e.mm.name);
    s.count++;
    s.firstNs ??= e.ts;
    s.lastNs = e.ts;
    if (this.#lastIsolate.pmdNo === pmdOf(e.address)) s.lazyfreePages += this.#lastIsolate.lazyfree;
  };

  /** The stats of `task` (zero if it had no collapse). */
  stats(task: string): CollapseStats {
    let s = this.byTask.get(task);
    if (!s) this.byTask.set(task, s = { count: 0, firstNs: null, lastNs: null, lazyfreePages: 0 });
    return s;
  }
}
