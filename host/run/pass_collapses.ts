/**
 * khugepaged's successful collapses by folio size, pass by pass, and the tasks' Rss after
 * each such pass: where the mTHP series' "creep" shows (a collapse at one order making
 * the next order's window qualify on a later pass, the memory growing with it).
 */
import { ScanResult } from "../core/scan_result.ts";
import { orderSizeKb, PMD_ORDER, sizeDir } from "../kernel/thp_sizes.ts";
import type { CollapseEvent, PassEvent } from "../khugepaged/events.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";

/** One pass of khugepaged that collapsed something. */
export interface PassCollapses {
  /** The pass's number, from 1, as `run --wakeups` numbers them. */
  pass: number;
  /** The wake-up that began it, in simulated seconds. */
  startS: number;
  /** Successful collapses by the size of the folio made ("hugepages-64kB"), smallest first. */
  collapses: Record<string, number>;
  /** Rss of the tasks when the pass ended, in kB. */
  rssKb: number;
}

/** Collects the rows from the daemon's collapse and pass events; `rssKb` reads the tasks' Rss now. */
export class PassCollapseLog {
  readonly rows: PassCollapses[] = [];
  readonly #rssKb: () => number;
  /** This pass's collapses by order. */
  readonly #byOrder = new Uint32Array(PMD_ORDER + 1);
  #passes = 0;

  constructor(k: KhugepagedKernel, rssKb: () => number) {
    this.#rssKb = rssKb;
    k.khugepaged.events.on("collapse", this.#onCollapse);
    k.khugepaged.events.on("pass", this.#onPass);
  }

  readonly #onCollapse = (e: CollapseEvent): void => {
    // The PMD path's events carry no order: the PMD order.
    if (e.result === ScanResult.SUCCEED) this.#byOrder[e.order ?? PMD_ORDER]++;
  };

  readonly #onPass = (e: PassEvent): void => {
    this.#passes++;
    if (this.#byOrder.every((n) => n === 0)) return;
    const collapses: Record<string, number> = {};
    this.#byOrder.forEach((n, order) => {
      if (n > 0) collapses[sizeDir(orderSizeKb(order))] = n;
    });
    this.rows.push({ pass: this.#passes, startS: e.start / 1e9, collapses, rssKb: this.#rssKb() });
    this.#byOrder.fill(0);
  };
}
