/**
 * The whole simulated kernel: mm/'s Kernel with the khugepaged thread, whose hooks it
 * installs, so that faults, madvise, fork, exit and sysfs writes reach the daemon and
 * MADV_COLLAPSE.
 */
import { Kernel, type KernelOptions } from "../mm/kernel.ts";
import { Khugepaged } from "./daemon.ts";
import { madviseCollapse } from "./madvise_collapse.ts";

export class KhugepagedKernel extends Kernel {
  readonly khugepaged: Khugepaged;

  constructor(o: KernelOptions) {
    super(o);
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
