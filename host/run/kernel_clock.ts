/**
 * The kernel options a scenario's `kernel:` and `machine:` sections give a run: HZ, the
 * costs, the CPU khugepaged works on, and the tick grid's phase, which, unless the
 * scenario fixes it, is drawn from the seed so that a sweep over seeds is also a sweep
 * over where the wake-ups fall.
 */
import type { KhugepagedKernelOptions } from "../khugepaged/khugepaged_kernel.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { mixSeed, mulberry32 } from "./rng.ts";
import { FREE_CPU, sharedCpus } from "../kernel/khugepaged_cpu.ts";

/**
 * The span the default phase is drawn from: 2^15 jiffies holds whole granules of every
 * wheel level a khugepaged sleep lands in (levels 0–4, granules up to 4096 jiffies).
 */
const PHASE_SPAN = 2 ** 15;
/** Keeps the phase's draw apart from the seed's other uses. */
const PHASE_STREAM = 0x6a1ff1e5;

/** The jiffies counter at simulated time 0 for `seed`. */
export function defaultJiffiesAtStart(seed: number): number {
  return mulberry32(mixSeed(seed, PHASE_STREAM))() * PHASE_SPAN;
}

/**
 * Kernel options from the scenario's `kernel:` and `machine:` sections; `runnable` gives
 * the weights of the tasks runnable at the moment khugepaged wakes.
 */
export function kernelClockOptions(
  s: Scenario, runnable: () => number[],
): Pick<KhugepagedKernelOptions, "hz" | "jiffiesAtStart" | "costs" | "khugepagedCpu"> {
  return {
    hz: s.kernel.hz,
    jiffiesAtStart: s.kernel.jiffiesAtStart ?? defaultJiffiesAtStart(s.seed),
    costs: s.kernel.costs,
    khugepagedCpu: s.machine.cpus === undefined ? FREE_CPU : sharedCpus(s.machine.cpus, runnable),
  };
}
