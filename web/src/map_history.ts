/**
 * One task's PMD map over a run, kept in the worker. Each PMD is a u16: its state (an
 * index into PMD_STATES) in the low byte, its last khugepaged status plus one in the
 * high byte. Only the newest map is kept whole; each frame is the PMDs that changed since
 * the one before, with their values before and after, as the run sends them (frames:
 * "changes"). A frame whose PMDs moved (a VMA mapped or unmapped) starts a segment whose
 * maps are counted back from its own newest. Nothing is ever copied whole: what a range
 * of a map held at a frame is counted from the newest map and the changes undone since.
 */
import { PMD_STATES, type TaskChanges } from "../../host/mod.ts";

/** PMD states: per-cell counts hold this many numbers a cell. */
export const STATES = PMD_STATES.length;

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
  /** Indexes, ascending, with their values before and after. */
  at: Uint32Array;
  before: Uint16Array;
  after: Uint16Array;
}

const NONE = { at: new Uint32Array(0), before: new Uint16Array(0), after: new Uint16Array(0) };

function sameRuns(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** First index of the ascending `at` that is at least `i`. */
function lowerBound(at: Uint32Array, i: number): number {
  let lo = 0, hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MapHistory {
  /** Index, in the variant's frames, of this task's first frame. */
  readonly first: number;
  #frames: Stored[] = [];

  constructor(first: number) {
    this.first = first;
  }

  /** Frames stored. */
  get length(): number {
    return this.#frames.length;
  }

  /** Store the task's map of the next frame: whole, or as what changed since the frame before. */
  push(t: TaskChanges): void {
    const segment = this.#frames.at(-1)?.segment;
    if (t.at === null) {
      const cells = new Uint16Array(t.pmds.length);
      for (let i = 0; i < cells.length; i++) cells[i] = t.pmds[i] | (t.lastScan[i] << 8);
      if (segment === undefined || !sameRuns(segment.runs, t.pmdRuns)) {
        this.#frames.push({ segment: { runs: t.pmdRuns, first: this.#frames.length, newest: cells }, ...NONE });
        return;
      }
      const at: number[] = [];
      for (let i = 0; i < cells.length; i++) if (cells[i] !== segment.newest[i]) at.push(i);
      this.#change(segment, Uint32Array.from(at), (j) => cells[at[j]]);
      return;
    }
    if (segment === undefined) throw new RangeError(`The first frame of ${t.name}'s map must be whole`);
    this.#change(segment, t.at, (j) => t.pmds[j] | (t.lastScan[j] << 8));
  }

  /** A frame of `segment` whose PMDs `at[j]` became `value(j)` (those that did not change are left out). */
  #change(segment: Segment, at: Uint32Array, value: (j: number) => number): void {
    const newest = segment.newest, kept: number[] = [], before: number[] = [], after: number[] = [];
    for (let j = 0; j < at.length; j++) {
      const i = at[j], v = value(j);
      if (v === newest[i]) continue;
      kept.push(i);
      before.push(newest[i]);
      after.push(v);
      newest[i] = v;
    }
    this.#frames.push({
      segment, at: Uint32Array.from(kept), before: Uint16Array.from(before), after: Uint16Array.from(after),
    });
  }

  /** The PMD runs and length of the map at frame `f` (an index into this task's frames). */
  shape(f: number): { runs: number[]; pmds: number } {
    const { runs, newest } = this.#frames[f].segment;
    return { runs, pmds: newest.length };
  }

  /** Whether frames `f` and `g` hold the same PMDs (one segment). */
  sameSegment(f: number, g: number): boolean {
    return this.#frames[f].segment === this.#frames[g].segment;
  }

  /** PMD `i`'s value at frame `f`. */
  valueAt(f: number, i: number): number {
    const { segment } = this.#frames[f];
    let v = segment.newest[i];
    for (let g = this.#newestOf(f); g > f; g--) {
      const s = this.#frames[g], j = lowerBound(s.at, i);
      if (s.at[j] === i) v = s.before[j];
    }
    return v;
  }

  /**
   * Count the states of PMDs [start, end) at frame `f` into `counts`, STATES numbers per
   * cell of `per` consecutive PMDs (cell 0 starts at `start`).
   */
  count(f: number, start: number, end: number, per: number, counts: Uint16Array | Uint32Array): void {
    counts.fill(0);
    const newest = this.#frames[f].segment.newest;
    for (let i = start, c = 0, n = 0; i < end; i++) {
      counts[c + (newest[i] & 0xff)]++;
      if (++n === per) {
        n = 0;
        c += STATES;
      }
    }
    this.move(this.#newestOf(f), f, start, end, per, counts);
  }

  /**
   * Bring `counts` (as count() fills them) of PMDs [start, end) from frame `from` to frame
   * `to` of the same segment; returns whether any state in the range changed.
   */
  move(from: number, to: number, start: number, end: number, per: number, counts: Uint16Array | Uint32Array): boolean {
    let moved = false;
    const step = (s: Stored, forward: boolean) => {
      const [was, now] = forward ? [s.before, s.after] : [s.after, s.before];
      for (let j = lowerBound(s.at, start); j < s.at.length && s.at[j] < end; j++) {
        if ((was[j] & 0xff) === (now[j] & 0xff)) continue;
        const c = Math.floor((s.at[j] - start) / per) * STATES;
        counts[c + (was[j] & 0xff)]--;
        counts[c + (now[j] & 0xff)]++;
        moved = true;
      }
    };
    for (let g = from + 1; g <= to; g++) step(this.#frames[g], true);
    for (let g = from; g > to; g--) step(this.#frames[g], false);
    return moved;
  }

  /** The last frame of `f`'s segment. */
  #newestOf(f: number): number {
    const { segment } = this.#frames[f];
    let last = f;
    while (last + 1 < this.#frames.length && this.#frames[last + 1].segment === segment) last++;
    return last;
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
