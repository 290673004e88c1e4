/**
 * One task's PMD map over a run, kept in the worker. Each PMD is a u16: its state (an
 * index into PMD_STATES) in the low byte, its last khugepaged status plus one in the
 * high byte. Only the newest map is kept whole; each frame is the PMDs that changed since
 * the one before, with their values before and after, so a terabyte map costs its changes
 * per frame and a copy moves to any frame by replaying them either way. A frame whose
 * PMDs moved (a VMA mapped or unmapped) starts a segment whose maps replay from its own
 * newest.
 */
import type { TaskFrame } from "../../host/mod.ts";

/** Frames whose PMDs are the same: the map at its newest frame, whole. */
interface Segment {
  runs: number[];
  /** Index of its first frame. */
  first: number;
  newest: Uint16Array;
}

/** A frame: its segment, and the PMDs that changed since the frame before (none for a segment's first). */
interface Stored {
  segment: Segment;
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
  /** A copy of the map at frame #viewAt, made only to show a frame that is not its segment's newest. */
  #view: Uint16Array | null = null;
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
    const segment = this.#frames.at(-1)?.segment;
    const same = segment !== undefined && sameRuns(segment.runs, t.pmdRuns);
    const at: number[] = [];
    for (let i = 0; i < cells.length; i++) {
      cells[i] = t.pmds[i] | (t.lastScan[i] << 8);
      if (same && cells[i] !== segment.newest[i]) at.push(i);
    }
    if (!same) {
      this.#frames.push({ segment: { runs: t.pmdRuns, first: this.#frames.length, newest: cells } });
      return;
    }
    this.#frames.push({
      segment, at: Uint32Array.from(at),
      before: Uint16Array.from(at, (i) => segment.newest[i]), after: Uint16Array.from(at, (i) => cells[i]),
    });
    segment.newest = cells;
  }

  /** The map at frame `f` (an index into this task's frames) and its PMD runs. */
  at(f: number): { cells: Uint16Array; runs: number[] } {
    const { segment } = this.#frames[f];
    let last = f;
    while (last + 1 < this.#frames.length && this.#frames[last + 1].segment === segment) last++;
    if (f === last) return { cells: segment.newest, runs: segment.runs };
    // Replay changes from the view if it is in this segment, else back from the segment's newest.
    if (this.#view === null || this.#viewAt < segment.first || this.#viewAt > last) {
      this.#view = segment.newest.slice();
      this.#viewAt = last;
    }
    for (; this.#viewAt < f; this.#viewAt++) this.#apply(this.#frames[this.#viewAt + 1], "after");
    for (; this.#viewAt > f; this.#viewAt--) this.#apply(this.#frames[this.#viewAt], "before");
    return { cells: this.#view, runs: segment.runs };
  }

  #apply(s: Stored, side: "before" | "after"): void {
    const values = s[side]!, at = s.at!;
    for (let i = 0; i < at.length; i++) this.#view![at[i]] = values[i];
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
