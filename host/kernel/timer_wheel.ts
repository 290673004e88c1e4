/**
 * The timer wheel's placement of a timeout (kernel/time/timer.c): which level a timer
 * lands in and the jiffy at which its bucket expires. The wheel does not fire a timer
 * at its expiry but when the bucket it was filed in comes due; `calc_index()` rounds
 * the expiry up to the next granule of that level, so a timer never fires early and
 * long sleeps end on a coarse grid of absolute jiffies.
 */
import type { Jiffies } from "./jiffies.ts";

/** Buckets per level (`LVL_BITS` = 6) and the factor between levels' granules (`LVL_CLK_SHIFT` = 3). */
const LVL_BITS = 6;
const LVL_CLK_SHIFT = 3;
const LVL_SIZE = 1 << LVL_BITS;

/** `LVL_DEPTH`: 9 levels above HZ=100, 8 at HZ=100 and below. */
function levelDepth(hz: number): number {
  return hz > 100 ? 9 : 8;
}

/** `LVL_GRAN(n)`: level n's granule in jiffies, 8^n. */
export function levelGranule(level: number): number {
  return 2 ** (level * LVL_CLK_SHIFT);
}

/** `LVL_START(n)`: the smallest timeout (expiry − base clock) filed in level n. */
function levelStart(level: number): number {
  return (LVL_SIZE - 1) * 2 ** ((level - 1) * LVL_CLK_SHIFT);
}

/** The level `calc_wheel_index()` files a timeout of `delta` jiffies in. */
export function wheelLevel(delta: number, hz: number): number {
  const depth = levelDepth(hz);
  for (let level = 1; level < depth; level++) {
    if (delta < levelStart(level)) return level - 1;
  }
  return depth - 1;
}

/**
 * `calc_wheel_index()`'s bucket expiry for a timer due at jiffy `expires`, armed when
 * the base clock reads `clk`: the next granule boundary of its level strictly after
 * `expires` (a timeout past the wheel's reach is cut to `WHEEL_TIMEOUT_MAX`).
 */
export function bucketExpiry(expires: number, clk: number, hz: number): number {
  const depth = levelDepth(hz);
  const cutoff = levelStart(depth);
  if (expires - clk >= cutoff) expires = clk + cutoff - levelGranule(depth - 1);
  const gran = levelGranule(wheelLevel(expires - clk, hz));
  return (Math.floor(expires / gran) + 1) * gran;
}

/**
 * When a `schedule_timeout(timeout)` begun at simulated `nowNs` ends: the tick at which
 * its bucket comes due, the base clock read as the current jiffies.
 */
export function timeoutEndNs(j: Jiffies, nowNs: number, timeout: number): number {
  const clk = j.at(nowNs);
  return j.timeOf(bucketExpiry(clk + timeout, clk, j.hz));
}
