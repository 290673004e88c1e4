/**
 * The simulated clock: a priority queue of events ordered by time, then by the order
 * they were scheduled, so equal-time events run deterministically. Time is in
 * nanoseconds as a plain number (exact up to 104 simulated days); nothing here reads
 * the wall clock.
 */
export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A min-heap of events with a current time that only moves forward. */
export class EventQueue {
  #heap: SimEvent[] = [];
  #seq = 0;
  #now = 0;

  /** The current simulated time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** Number of pending events. */
  get size(): number {
    return this.#heap.length;
  }

  /** Run `run` at simulated time `at` (not before now). */
  schedule(at: number, run: () => void): SimEvent {
    if (!(at >= this.#now)) throw new RangeError(`Cannot schedule an event at ${at} ns, before now (${this.#now} ns)`);
    const ev = { at, seq: this.#seq++, run };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!earlier(ev, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  /** Run events in order until the next one is later than `until`; then set now = until. */
  runUntil(until: number): void {
    while (this.#heap.length > 0 && this.#heap[0].at <= until) {
      const ev = this.#pop();
      this.#now = ev.at;
      ev.run();
    }
    if (until > this.#now) this.#now = until;
  }

  #pop(): SimEvent {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && earlier(h[r], h[l]) ? r : l;
        if (!earlier(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function earlier(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;
