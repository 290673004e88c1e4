/**
 * One task's PMD map over a run, kept in the worker. Each PMD is a u16: its state (an
 * index into PMD_STATES) in the low byte, its last khugepaged status plus one in the
 * high byte. A frame is stored as the PMDs that changed since the previous one, with
 * their values before and after, so a terabyte map costs its changes per frame and the
 * view moves to any frame by replaying them either way. A frame whose PMDs moved (a
 * VMA mapped or unmapped) is stored whole.
 */
import type { TaskFrame } from "../../host/mod.ts";

interface Stored {
  /** Runs of PMD numbers, `[first, count, …]`, as TaskFrame.pmdRuns. */
  runs: number[];
  /** The whole map (a key frame), or the changes since the previous frame. */
  whole?: Uint16Array;
  at?: Uint32Array;
  before?: Uint16Array;
  after?: Uint16Array;
}

function sameRuns(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class MapHistory {
  /** Index, in the variant's frames, of this task's first frame. */
  readonly first: number;
  #frames: Stored[] = [];
  /** The newest frame, to diff the next one against. */
  #newest = new Uint16Array(0);
  /** The map at frame #viewAt, which the view reads. */
  #view = new Uint16Array(0);
  #viewAt = -1;

  constructor(first: number) {
    this.first = first;
  }

  /** Frames stored. */
  get length(): number {
    return this.#frames.length;
  }

  /** Store the task's map of the next frame. */
  push(t: TaskFrame): void {
    const cells = new Uint16Array(t.pmds.length);
    for (let i = 0; i < cells.length; i++) cells[i] = t.pmds[i] | (t.lastScan[i] << 8);
    const prev = this.#frames.at(-1);
    if (!prev || !sameRuns(prev.runs, t.pmdRuns)) {
      this.#frames.push({ runs: t.pmdRuns, whole: cells.slice() });
    } else {
      const at: number[] = [];
      for (let i = 0; i < cells.length; i++) if (cells[i] !== this.#newest[i]) at.push(i);
      this.#frames.push({
        runs: prev.runs, at: Uint32Array.from(at),
        before: Uint16Array.from(at, (i) => this.#newest[i]), after: Uint16Array.from(at, (i) => cells[i]),
      });
    }
    this.#newest = cells;
  }

  /** The map at frame `f` (an index into this task's frames) and its PMD runs. */
  at(f: number): { cells: Uint16Array; runs: number[] } {
    if (f !== this.#viewAt) this.#seek(f);
    return { cells: this.#view, runs: this.#frames[f].runs };
  }

  #seek(f: number): void {
    // Changes replay either way between two frames unless a key frame lies between them.
    if (this.#viewAt < 0 || this.#keyIn(Math.min(this.#viewAt, f) + 1, Math.max(this.#viewAt, f))) {
      let key = f;
      while (!this.#frames[key].whole) key--;
      this.#view = this.#frames[key].whole!.slice();
      this.#viewAt = key;
    }
    for (; this.#viewAt < f; this.#viewAt++) this.#apply(this.#frames[this.#viewAt + 1], "after");
    for (; this.#viewAt > f; this.#viewAt--) this.#apply(this.#frames[this.#viewAt], "before");
  }

  #keyIn(from: number, to: number): boolean {
    for (let i = from; i <= to; i++) if (this.#frames[i].whole) return true;
    return false;
  }

  #apply(s: Stored, side: "before" | "after"): void {
    const values = s[side]!, at = s.at!;
    for (let i = 0; i < at.length; i++) this.#view[at[i]] = values[i];
  }
}

/** Index, in a map with PMD runs `runs`, of PMD number `pmdNo`; -1 when no VMA covers it. */
export function pmdIndex(runs: number[], pmdNo: number): number {
  let i = 0;
  for (let r = 0; r < runs.length; r += 2) {
    if (pmdNo >= runs[r] && pmdNo < runs[r] + runs[r + 1]) return i + pmdNo - runs[r];
    i += runs[r + 1];
  }
  return -1;
}

/** PMD number of index `i` of a map with PMD runs `runs`. */
export function pmdNumber(runs: number[], i: number): number {
  for (let r = 0; r < runs.length; r += 2) {
    if (i < runs[r + 1]) return runs[r] + i;
    i -= runs[r + 1];
  }
  return -1;
}
