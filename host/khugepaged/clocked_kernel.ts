/**
 * What the khugepaged thread needs beyond mm/'s Kernel: the tick grid its sleeps fall on,
 * the time its work takes and the CPU it runs on (KhugepagedKernel provides them).
 */
import type { Jiffies } from "../kernel/jiffies.ts";
import type { KhugepagedCpu } from "../kernel/khugepaged_cpu.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { KhugepagedCosts } from "./costs.ts";

export interface KhugepagedClock {
  readonly jiffies: Jiffies;
  readonly costs: Readonly<KhugepagedCosts>;
  readonly khugepagedCpu: KhugepagedCpu;
}

/** A kernel with khugepaged's clock. */
export type ClockedKernel = Kernel & KhugepagedClock;
