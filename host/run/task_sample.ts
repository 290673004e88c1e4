/** One task's point of a run's time series: its smaps now and the sums of its accesses in the interval. */
import { smapsRollup } from "../mm/smaps.ts";
import { thpCountersKb } from "../mm/thp_counters.ts";
import type { TaskSample } from "./result.ts";
import type { TaskRun } from "./task_run.ts";

/**
 * `t`'s sample at the end of interval `iv`, taking that interval's sums from it; with
 * `thp` (the scenario turns an mTHP size on) also thpmaps' counters of its memory.
 */
export function taskSample(t: TaskRun, iv: number, thp: boolean): TaskSample {
  const m = smapsRollup(t.mm!);
  const sums = t.intervals.get(iv);
  t.intervals.delete(iv);
  return {
    anonHugePagesKb: m.AnonHugePages, rssKb: m.Rss, lazyFreeKb: m.LazyFree, swapKb: m.Swap,
    accesses: Math.round(sums?.accesses ?? 0),
    dtlbLoadMisses: Math.round(sums?.dtlbLoadMisses ?? 0),
    cyclesPerAccess: sums && sums.accesses > 0 ? sums.ticks / sums.accesses : null,
    ...(thp ? { thp: thpCountersKb(t.mm!) } : {}),
  };
}
