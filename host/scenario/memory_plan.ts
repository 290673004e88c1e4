/**
 * The memory a task certainly takes when it starts, checked before anything runs: mmap
 * with MAP_POPULATE write-faults every page of a `populate: true` VMA, one VMA after
 * another, before the task's first step and with nothing freed in between. Those pages
 * need physical memory (memory.totalBytes), and the page tables that map them need core
 * memory: the PMD directory (4 bytes per 2 MiB) and, wherever no THP can be faulted in,
 * a 4 KiB PTE table per 2 MiB. A task that cannot have them is refused with what it
 * needs and the limit, instead of running into "Out of memory" or "Core memory
 * exhausted" after minutes.
 *
 * The figures are lower bounds: a THP the fault path may map is counted as needing no
 * PTE table, and pages faulted later by steps are not counted.
 */
import { PMD_SIZE, PTE_TABLE_BYTES } from "../core/layout.ts";
import type { Tunables } from "../kernel/tunables.ts";
import { orderEnabled, PMD_ORDER } from "../kernel/thp_sizes.ts";
import type { CoreSpace } from "../synth/generate.ts";
import type { RunLimitProblem } from "./run_limits.ts";
import type { Scenario, VmaSpec } from "./scenario_schema.ts";

const PAGE_SIZE = 4096;
/** A PMD directory entry. */
const DIR_ENTRY_BYTES = 4;

/** Whether a write fault in `v` may map a PMD-sized THP: `thp_vma_allowable_order()` at mmap time. */
function hugeFaultPossible(v: VmaSpec, t: Tunables): boolean {
  if (v.flags.includes("nohugepage") || !orderEnabled(t, PMD_ORDER, v.flags.includes("hugepage"))) return false;
  return v.size >= PMD_SIZE;
}

/** Core memory populating `v` certainly takes: its directory entries, and PTE tables where no THP can be. */
function populateCoreBytes(v: VmaSpec, t: Tunables): number {
  const pmds = Math.ceil(v.size / PMD_SIZE);
  // With THPs possible, only a VMA's last, partial PMD certainly needs a table.
  const tables = hugeFaultPossible(v, t) ? (v.size % PMD_SIZE === 0 ? 0 : 1) : pmds;
  return pmds * DIR_ENTRY_BYTES + tables * PTE_TABLE_BYTES;
}

const MiB = 1024 * 1024;
/** Bytes as a message shows them: exact, with the MiB or GiB beside when large. */
function bytes(n: number): string {
  if (n >= 1024 * MiB) return `${n} bytes (${Number((n / (1024 * MiB)).toFixed(1))} GiB)`;
  return n >= MiB ? `${n} bytes (${Number((n / MiB).toFixed(1))} MiB)` : `${n} bytes`;
}

/**
 * The first task whose populated VMAs cannot fit physical memory or `core` (what is free
 * of the run's core memory once a `generate:` map of `mapBytes` is built), as the field
 * to change and the reason; null when each fits.
 */
export function populateProblem(s: Scenario, t: Tunables, core: CoreSpace, mapBytes = 0): RunLimitProblem | null {
  // Block 0's first page is never handed out (phys_mem.ts).
  const pages = s.memory.totalBytes / PAGE_SIZE - 1;
  const coreFree = core.maxBytes - core.usedBytes - mapBytes;
  for (const [i, task] of s.tasks.entries()) {
    let taskPages = 0, taskCore = 0;
    for (const [j, v] of task.vmas.entries()) {
      if (!v.populate) continue;
      taskPages += v.size / PAGE_SIZE;
      taskCore += populateCoreBytes(v, t);
      const path = `tasks[${i}].vmas[${j}].populate`;
      if (taskPages > pages) {
        return { path, reason: `cannot be met: the task's populated VMAs need ${bytes(taskPages * PAGE_SIZE)} ` +
          `of memory, and memory.totalBytes holds ${bytes(pages * PAGE_SIZE)} for tasks (raise memory.totalBytes)` };
      }
      if (taskCore > coreFree) {
        return { path, reason: `cannot be met: the task's populated VMAs need at least ${bytes(taskCore)} of core ` +
          `memory for page tables (a 4 KiB PTE table per 2 MiB where no THP can be faulted in), and ` +
          `${bytes(coreFree)} of the ${core.maxBytes}-byte limit are free (let THPs be faulted in, or populate less)` };
      }
    }
  }
  return null;
}
