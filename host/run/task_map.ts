/**
 * One mm's PMD map kept up to date through a run for its frames (frames.ts). The map is
 * read whole once; after that its page table tells it which PMDs are about to change
 * (PageTable.onChange) and khugepaged's scans which PMDs got a new status, so a frame of
 * a terabyte map costs the PMDs that changed since the last, not the map. A map whose
 * PMDs moved (a VMA mapped or unmapped) or of which a large part changed is read whole again.
 */
import type { Mm } from "../mm/mm.ts";
import { mappedPmdRuns, pmdMapAndFree, pmdStateAndFree } from "../mm/pmd_map.ts";

/** LazyFree and Swap kB of a PMD, one number: each is at most 2048. */
const KB_SHIFT = 4096;

/** What changed in a map since the previous update. */
export type MapUpdate =
  /** Read whole: its PMDs moved, or it is new, or much of it changed. */
  | { whole: true }
  /** The indexes whose state or last scan status may have changed, ascending. */
  | { whole: false; at: Uint32Array };

function sameRuns(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class TaskMap {
  readonly mm: Mm;
  /** The mm's PMDs as runs of PMD numbers, `[first, count, …]` (mappedPmdRuns()). */
  runs: number[] = [];
  /** Index of each run's first PMD in the map. */
  #firsts: number[] = [];
  /** Per PMD of the runs: its state (an index into PMD_STATES). */
  pmds: Uint8Array = new Uint8Array(0);
  /** Per PMD: khugepaged's last status of it plus one, 0 if not scanned. */
  lastScan: Uint8Array = new Uint8Array(0);
  lazyFreeKb = 0;
  swapKb = 0;
  /** Each mm's PMDs khugepaged has scanned, by PMD number, with the last status (a ScanResult code). */
  readonly #scans: Map<number, number>;
  /** PMDs told to change since the last update, by number, with their LazyFree and Swap kB before. */
  readonly #before = new Map<number, number>();
  /** Indexes whose last scan status changed since the last update. */
  readonly #scanned = new Set<number>();
  /** Read the map whole at the next update. */
  #whole = true;

  /** Keep `mm`'s map from now on; `scans` is the camera's log of its scanned PMDs. */
  constructor(mm: Mm, scans: Map<number, number>) {
    this.mm = mm;
    this.#scans = scans;
    mm.pt.onChange = (pmdNo) => this.#changing(pmdNo);
  }

  /** Index of PMD `pmdNo` in the map, or -1 when no run holds it. */
  indexOf(pmdNo: number): number {
    const runs = this.runs;
    let lo = 0, hi = this.#firsts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[2 * mid] <= pmdNo) lo = mid;
      else hi = mid - 1;
    }
    const offset = pmdNo - runs[2 * lo];
    return hi >= 0 && offset >= 0 && offset < runs[2 * lo + 1] ? this.#firsts[lo] + offset : -1;
  }

  /** khugepaged gave PMD `pmdNo` the status `result` (the camera logged it already). */
  scanned(pmdNo: number, result: number): void {
    if (this.#whole) return;
    const i = this.indexOf(pmdNo);
    if (i < 0) return;
    this.lastScan[i] = result + 1;
    this.#scanned.add(i);
  }

  /** Bring the map up to date and say what changed. */
  update(): MapUpdate {
    const runs = mappedPmdRuns(this.mm);
    if (this.#whole || !sameRuns(runs, this.runs)) {
      this.#readWhole(runs);
      return { whole: true };
    }
    const changed = this.#scanned;
    for (const [pmdNo, before] of this.#before) {
      const i = this.indexOf(pmdNo);
      if (i < 0) continue;
      const now = pmdStateAndFree(this.mm, pmdNo);
      this.pmds[i] = now.state;
      this.lazyFreeKb += now.lazyFreeKb - Math.floor(before / KB_SHIFT);
      this.swapKb += now.swapKb - (before % KB_SHIFT);
      changed.add(i);
    }
    const at = Uint32Array.from(changed).sort();
    this.#before.clear();
    this.#scanned.clear();
    return { whole: false, at };
  }

  #readWhole(runs: number[]): void {
    this.runs = runs;
    this.#firsts = [];
    for (let r = 0, i = 0; r < runs.length; i += runs[r + 1], r += 2) this.#firsts.push(i);
    ({ pmds: this.pmds, lazyFreeKb: this.lazyFreeKb, swapKb: this.swapKb } = pmdMapAndFree(this.mm));
    this.lastScan = new Uint8Array(this.pmds.length);
    for (const [pmdNo, result] of this.#scans) {
      const i = this.indexOf(pmdNo);
      if (i >= 0) this.lastScan[i] = result + 1;
    }
    this.#before.clear();
    this.#scanned.clear();
    this.#whole = false;
  }

  /** PMD `pmdNo` is about to change: note what it counted before, once per update. */
  #changing(pmdNo: number): void {
    if (this.#whole || this.#before.has(pmdNo)) return;
    // A large part of the map changing (an exit, a munmap) is cheaper read whole.
    if (this.#before.size > (this.pmds.length >> 3) + 64) {
      this.#whole = true;
      this.#before.clear();
      return;
    }
    if (this.indexOf(pmdNo) < 0) return;
    const { lazyFreeKb, swapKb } = pmdStateAndFree(this.mm, pmdNo);
    this.#before.set(pmdNo, lazyFreeKb * KB_SHIFT + swapKb);
  }
}
