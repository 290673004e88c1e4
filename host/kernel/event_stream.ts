/**
 * A typed stream of events: listeners subscribe to one event type (or to all) and are
 * called in subscription order, synchronously, as each event happens. What the kernel
 * and a run report — a collapse, a finished pass, an interval, a frame — travels here
 * instead of through one callback property per kind.
 */

/** An event: a `type` tag and its facts. */
export interface Event {
  readonly type: string;
}

type Listener<E> = (e: E) => void;

export class EventStream<E extends Event> {
  readonly #listeners: Array<{ type: E["type"] | "*"; fn: Listener<E> }> = [];

  /**
   * Call `fn` with every event of `type` ("*": every event); returns the unsubscribe.
   *
   * @example
   * const off = kernel.khugepaged.events.on("collapse", (e) => console.log(e.mm.name, e.lazyfreePages));
   */
  on<T extends E["type"]>(type: T | "*", fn: Listener<Extract<E, { type: T }>>): () => void {
    const entry = { type, fn: fn as Listener<E> };
    this.#listeners.push(entry);
    return () => {
      const i = this.#listeners.indexOf(entry);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  emit(e: E): void {
    for (const l of this.#listeners) if (l.type === e.type || l.type === "*") l.fn(e);
  }
}
