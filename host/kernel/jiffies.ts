/**
 * The kernel's tick count: `jiffies` at `CONFIG_HZ`, `TICK_NSEC`, `msecs_to_jiffies()`,
 * and the mapping between simulated nanoseconds and jiffies. Where simulated time 0
 * falls on the tick grid is the phase (`jiffiesAtStart`), a scenario field: it decides
 * where every timer-wheel grid point lies against the tasks' start times.
 */

/** The `CONFIG_HZ` choices x86-64 offers (kernel/Kconfig.hz). */
export const HZ_CHOICES = [100, 250, 300, 1000] as const;
export type Hz = (typeof HZ_CHOICES)[number];

/** `TICK_NSEC`: the tick's length in whole ns, `(NSEC_PER_SEC + HZ/2) / HZ` (3 333 333 ns at HZ=300). */
export function tickNs(hz: number): number {
  return Math.floor((1_000_000_000 + Math.floor(hz / 2)) / hz);
}

/** `msecs_to_jiffies()`: rounds up, so that a sleep is never shorter than asked. */
export function msecsToJiffies(ms: number, hz: number): number {
  return Math.floor((ms * hz + 999) / 1000);
}

/** The tick grid of one simulated kernel. */
export class Jiffies {
  readonly hz: number;
  readonly tickNs: number;
  /** The jiffies value of the first tick at or after simulated time 0, and that tick's time. */
  readonly #firstJiffy: number;
  readonly #firstTickNs: number;

  /**
   * @param jiffiesAtStart the jiffies counter at simulated time 0; a fractional part
   *   says how far into its tick time 0 lies.
   */
  constructor(hz: number, jiffiesAtStart: number) {
    if (!(HZ_CHOICES as readonly number[]).includes(hz)) {
      throw new RangeError(`kernel.hz must be one of ${HZ_CHOICES.join(", ")}, got ${hz}`);
    }
    if (!(jiffiesAtStart >= 0 && jiffiesAtStart < 2 ** 32)) {
      throw new RangeError(`kernel.jiffiesAtStart must be from 0 to 2^32, got ${jiffiesAtStart}`);
    }
    this.hz = hz;
    this.tickNs = tickNs(hz);
    const whole = Math.floor(jiffiesAtStart);
    const frac = jiffiesAtStart - whole;
    this.#firstJiffy = frac > 0 ? whole + 1 : whole;
    this.#firstTickNs = frac > 0 ? Math.round((1 - frac) * this.tickNs) : 0;
  }

  /** The jiffies counter at simulated time `ns`: the last tick at or before it. */
  at(ns: number): number {
    return this.#firstJiffy + Math.floor((ns - this.#firstTickNs) / this.tickNs);
  }

  /** The simulated time of the tick that sets jiffies to `j`. */
  timeOf(j: number): number {
    return this.#firstTickNs + (j - this.#firstJiffy) * this.tickNs;
  }
}
