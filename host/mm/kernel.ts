/**
 * The simulated kernel as mm/ sees it: physical memory, the shared page-table memory,
 * the mms, and the kernel floor (host/kernel/: sysfs tunables, vmstat, the trace buffer,
 * the simulated clock, the scan record ring, the variant). The system calls live in
 * their own modules (fault.ts, madvise.ts, process.ts, reclaim.ts) and act on this
 * state; khugepaged is reached only through `hooks` (KhugepagedKernel installs it).
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { OCCUPANCY, RECORD } from "../core/layout.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { thpVmaAllowable } from "./thp_policy.ts";
import { hugepageEnabled } from "../kernel/thp_sizes.ts";
import { emptyMthpStats, type MthpStats } from "../kernel/mthp_stats.ts";
import { Tracer } from "../kernel/trace.ts";
import { defaultTunables, type Tunables, writeTunable } from "../kernel/tunables.ts";
import { RING_BYTES, RING_RECORDS } from "../kernel/scan_record.ts";
import type { Variant } from "../kernel/variant.ts";
import { emptyVmstat, type Vmstat } from "../kernel/vmstat.ts";
import { EventQueue } from "../kernel/event_queue.ts";
import { type KhugepagedHooks, NO_KHUGEPAGED } from "./khugepaged_hooks.ts";
import { Mm } from "./mm.ts";
import type { TableShares } from "./page_table.ts";
import { PhysMem } from "./phys_mem.ts";
import type { Vma } from "./vma.ts";

/**
 * Folios mapped by more than one mm (after fork), by head pfn: the address they are
 * mapped at (the same in every sharer) and the mms that map them.
 */
export type Sharers = Map<number, { addr: number; mms: Set<Mm> }>;

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
}

export class Kernel {
  readonly core: CoreMemory;
  readonly scanCore: ScanCore;
  readonly variant: Variant;
  readonly tunables: Tunables;
  readonly phys: PhysMem;
  readonly vmstat: Vmstat = emptyVmstat();
  /** Kernel log lines (`pr_warn_once()` and the like), in order. */
  readonly dmesg: string[] = [];
  /** hugepages-<N>kB/stats/collapse_* (counted by kernels with mTHP collapse). */
  readonly mthpStats: MthpStats = emptyMthpStats();
  readonly tracer: Tracer;
  readonly clock = new EventQueue();
  /** The fraction of 2 MiB blocks fragmented at boot: the share of huge allocations that compact first. */
  readonly fragmentation: number;
  readonly mms: Mm[] = [];
  readonly tableShares: TableShares = new Map();
  /** What mm/ tells khugepaged; a kernel without it ignores everything. */
  hooks: KhugepagedHooks = NO_KHUGEPAGED;
  /** Scan record ring in core memory. */
  readonly ring: number;
  /** The isolate step's record, apart from the ring whose records a batch is still consuming. */
  readonly isolateRecord: number;
  /** The mTHP scan's occupancy records, one per ring record (kernels with mTHP collapse; else 0). */
  readonly occupancy: number;
  readonly sharers: Sharers = new Map();
  /** Head pfn of the huge zero folio, -1 until its first use (see huge_zero.ts). */
  hugeZeroPfn = -1;
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
    this.fragmentation = o.fragmentation ?? 0;
    this.ring = this.core.alloc(RING_BYTES, 64);
    this.isolateRecord = this.ring + RING_RECORDS * RECORD.BYTES;
    this.occupancy = o.variant.mthpCollapse ? this.core.alloc(RING_RECORDS * OCCUPANCY.BYTES, 64) : 0;
  }

  /** `pr_warn_once()`: log `line` unless it was logged before. */
  warnOnce(line: string): void {
    if (!this.dmesg.includes(line)) this.dmesg.push(line);
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
   * errno), apply, then tell khugepaged (Khugepaged.tunableWritten()).
   */
  writeTunable(path: string, value: string | number): void {
    writeTunable(this.tunables, path, value);
    this.hooks.tunableWritten(path);
  }

  /**
   * `khugepaged_enter_vma()`: put the mm on khugepaged's list if the VMA is eligible
   * and the mm is not there yet.
   */
  khugepagedEnterVma(mm: Mm, vma: Vma): void {
    if (mm.registered || !hugepageEnabled(this.tunables, this.variant.mthpCollapse)) return;
    if (!thpVmaAllowable(this.tunables, mm, vma, "khugepaged", this.variant.mthpCollapse)) return;
    this.hooks.enter(mm);
  }
}
