/**
 * The simulated kernel: physical memory, the shared page-table memory, the mms, the
 * sysfs tunables, vmstat, the trace buffer, the simulated clock and khugepaged. The
 * system calls live in their own modules (fault.ts, madvise.ts, fork.ts, reclaim.ts)
 * and act on this state.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { RECORD } from "../core/layout.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { Khugepaged } from "../khugepaged/daemon.ts";
import { thpVmaAllowable, hugepagePmdEnabled } from "./thp_policy.ts";
import { Tracer } from "../kernel/trace.ts";
import { defaultTunables, type Tunables, writeTunable } from "../kernel/tunables.ts";
import type { Variant } from "../kernel/variant.ts";
import { emptyVmstat, type Vmstat } from "../kernel/vmstat.ts";
import { EventQueue } from "../kernel/event_queue.ts";
import { Jiffies } from "../kernel/jiffies.ts";
import { FREE_CPU, type KhugepagedCpu } from "../sched/khugepaged_cpu.ts";
import { DEFAULT_COSTS, type KhugepagedCosts } from "../khugepaged/costs.ts";
import { Mm } from "./mm.ts";
import type { TableShares } from "./page_table.ts";
import { PhysMem } from "./phys_mem.ts";
import type { Vma } from "./vma.ts";

export interface KernelOptions {
  core: CoreMemory;
  scanCore: ScanCore;
  variant: Variant;
  tunables?: Tunables;
  /** Physical memory in bytes (default 16 GiB). */
  memoryBytes?: number;
  /** Fraction of 2 MiB blocks fragmented at boot (default 0). */
  fragmentation?: number;
  seed?: number;
  /** Record trace events (default true). */
  trace?: boolean;
  /** `CONFIG_HZ` (default 250) and the jiffies counter at simulated time 0 (default 0). */
  hz?: number;
  jiffiesAtStart?: number;
  /** The time khugepaged's work takes (default: the measured DEFAULT_COSTS). */
  costs?: Partial<KhugepagedCosts>;
  /** The CPU khugepaged's work runs on (default: a free one). */
  khugepagedCpu?: KhugepagedCpu;
}

/** Records the scan core may write per call. */
export const RING_RECORDS = 1024;

export class Kernel {
  readonly core: CoreMemory;
  readonly scanCore: ScanCore;
  readonly variant: Variant;
  readonly tunables: Tunables;
  readonly phys: PhysMem;
  readonly vmstat: Vmstat = emptyVmstat();
  readonly tracer: Tracer;
  readonly clock = new EventQueue();
  /** The tick grid the timer wheel files sleeps on. */
  readonly jiffies: Jiffies;
  readonly costs: Readonly<KhugepagedCosts>;
  readonly khugepagedCpu: KhugepagedCpu;
  /** The fraction of 2 MiB blocks fragmented at boot: the share of huge allocations that compact first. */
  readonly fragmentation: number;
  readonly mms: Mm[] = [];
  readonly tableShares: TableShares = new Map();
  readonly khugepaged: Khugepaged;
  /** Scan record ring in core memory. */
  readonly ring: number;
  /**
   * Folios mapped by more than one mm (after fork), by head pfn: the address they are
   * mapped at (the same in every sharer) and the mms that map them.
   */
  readonly sharers = new Map<number, { addr: number; mms: Set<Mm> }>();
  #nextPid = 1000;

  constructor(o: KernelOptions) {
    this.core = o.core;
    this.scanCore = o.scanCore;
    this.variant = o.variant;
    this.tunables = o.tunables ?? defaultTunables();
    this.phys = new PhysMem({
      totalBytes: o.memoryBytes ?? 16 * 1024 ** 3,
      fragmentation: o.fragmentation ?? 0,
      seed: o.seed ?? 1,
    });
    this.tracer = new Tracer(o.trace ?? true);
    this.jiffies = new Jiffies(o.hz ?? 250, o.jiffiesAtStart ?? 0);
    this.costs = { ...DEFAULT_COSTS, ...o.costs };
    this.khugepagedCpu = o.khugepagedCpu ?? FREE_CPU;
    this.fragmentation = o.fragmentation ?? 0;
    this.ring = this.core.alloc(RING_RECORDS * RECORD.BYTES, 64);
    this.khugepaged = new Khugepaged(this);
  }

  /** Current simulated time in nanoseconds. */
  get now(): number {
    return this.clock.now;
  }

  /** Create a task with a fresh mm. */
  createMm(name: string): Mm {
    const mm = new Mm(this.#nextPid++, name, this.core, this.tableShares);
    this.mms.push(mm);
    return mm;
  }

  /**
   * A sysfs write under /sys/kernel/mm/transparent_hugepage/ (`path` relative to it), as
   * the store handlers do it: validate (a refused write throws a TunableError with the
   * errno), apply, then tell khugepaged — "enabled" starts or stops the thread, the two
   * sleep tunables cut the current sleep short.
   */
  writeTunable(path: string, value: string | number): void {
    writeTunable(this.tunables, path, value);
    if (path === "enabled") this.khugepaged.startStop();
    else if (path === "khugepaged/scan_sleep_millisecs" || path === "khugepaged/alloc_sleep_millisecs") {
      this.khugepaged.sleepTunableWritten();
    }
  }

  /**
   * `khugepaged_enter_vma()`: put the mm on khugepaged's list if the VMA is eligible
   * and the mm is not there yet.
   */
  khugepagedEnterVma(mm: Mm, vma: Vma): void {
    if (mm.registered || !hugepagePmdEnabled(this.tunables)) return;
    if (!thpVmaAllowable(this.tunables, mm, vma, "khugepaged")) return;
    this.khugepaged.enter(mm);
  }
}
