/**
 * Whether a scenario turns on a multi-size THP below the PMD size: the runs whose
 * reports add memory by folio size (thpmaps' counters) and khugepaged's collapses by
 * order and pass. Other scenarios keep the outputs they always had.
 */
import { PMD_ORDER, perSizePath, sizeOrder } from "../kernel/thp_sizes.ts";
import type { Scenario, Step } from "./scenario_schema.ts";

/** Whether writing `value` to `path` (relative to transparent_hugepage/) sets an mTHP size to anything but `never`. */
function turnsMthpOn(path: string, value: string | number): boolean {
  const kb = perSizePath(path);
  return kb !== undefined && sizeOrder(kb) < PMD_ORDER && value !== "never";
}

function stepsTurnMthpOn(steps: readonly Step[]): boolean {
  return steps.some((s) =>
    (s.do === "sysfs" && turnsMthpOn(s.path, s.value)) ||
    ((s.do === "repeat" || s.do === "fork") && stepsTurnMthpOn(s.steps)));
}

/**
 * Whether `scenario` sets some `hugepages-<N>kB/enabled` below 2048 kB to `always`,
 * `inherit` or `madvise`, in its tunables or in a `sysfs` step of any task.
 */
export function usesMthpSizes(scenario: Pick<Scenario, "tunables" | "tasks">): boolean {
  return Object.entries(scenario.tunables).some(([path, value]) => turnsMthpOn(path, value)) ||
    scenario.tasks.some((t) => stepsTurnMthpOn(t.steps));
}
