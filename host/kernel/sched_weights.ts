/**
 * CFS/EEVDF load weights (kernel/sched/core.c `sched_prio_to_weight[]`): nice 0 is
 * 1024 (`NICE_0_LOAD`), each nice step about 1.25×; a SCHED_IDLE task weighs
 * `WEIGHT_IDLEPRIO` = 3. khugepaged runs at nice 19 (`set_user_nice(current, MAX_NICE)`).
 */
const PRIO_TO_WEIGHT = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
  110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];

export const NICE_0_LOAD = 1024;
/** `WEIGHT_IDLEPRIO`: a SCHED_IDLE task. */
export const IDLE_WEIGHT = 3;
/** khugepaged's weight: nice 19. */
export const KHUGEPAGED_WEIGHT = 15;

/** The load weight of a task at `nice` (-20..19), or of a SCHED_IDLE task. */
export function taskWeight(nice: number, policy: "SCHED_NORMAL" | "SCHED_IDLE" = "SCHED_NORMAL"): number {
  if (policy === "SCHED_IDLE") return IDLE_WEIGHT;
  if (!(Number.isInteger(nice) && nice >= -20 && nice <= 19)) throw new RangeError(`nice must be a whole number from -20 to 19, got ${nice}`);
  return PRIO_TO_WEIGHT[nice + 20];
}
