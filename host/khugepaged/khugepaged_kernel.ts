/**
 * The whole simulated kernel: mm/'s Kernel with the khugepaged thread, whose hooks it
 * installs, so that faults, madvise, fork, exit and sysfs writes reach the daemon and
 * MADV_COLLAPSE; and the clock khugepaged sleeps on, the time its work takes and the CPU
 * it runs on.
 */
import { Jiffies } from "../kernel/jiffies.ts";
import { FREE_CPU, type KhugepagedCpu } from "../kernel/khugepaged_cpu.ts";
import { Kernel, type KernelOptions } from "../mm/kernel.ts";
import type { KhugepagedClock } from "./clocked_kernel.ts";
import { DEFAULT_COSTS, type KhugepagedCosts } from "./costs.ts";
import { Khugepaged } from "./daemon.ts";
import { madviseCollapse } from "./madvise_collapse.ts";

export interface KhugepagedKernelOptions extends KernelOptions {
  /** `CONFIG_HZ` (default 250) and the jiffies counter at simulated time 0 (default 0). */
  hz?: number;
  jiffiesAtStart?: number;
  /** The time khugepaged's work takes (default: the measured DEFAULT_COSTS). */
  costs?: Partial<KhugepagedCosts>;
  /** The CPU khugepaged's work runs on (default: a free one). */
  khugepagedCpu?: KhugepagedCpu;
}

export class KhugepagedKernel extends Kernel implements KhugepagedClock {
  readonly khugepaged: Khugepaged;
  /** The tick grid the timer wheel files khugepaged's sleeps on. */
  readonly jiffies: Jiffies;
  readonly costs: Readonly<KhugepagedCosts>;
  readonly khugepagedCpu: KhugepagedCpu;

  constructor(o: KhugepagedKernelOptions) {
    super(o);
    this.jiffies = new Jiffies(o.hz ?? 250, o.jiffiesAtStart ?? 0);
    this.costs = { ...DEFAULT_COSTS, ...o.costs };
    this.khugepagedCpu = o.khugepagedCpu ?? FREE_CPU;
    const khugepaged = new Khugepaged(this);
    this.khugepaged = khugepaged;
    this.hooks = {
      enter: (mm) => khugepaged.enter(mm),
      exit: (mm) => khugepaged.exit(mm),
      tunableWritten: (path) => khugepaged.tunableWritten(path),
      madviseCollapse: (mm, vma, start, end) => madviseCollapse(this, mm, vma, start, end),
    };
  }
}
