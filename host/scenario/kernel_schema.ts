/**
 * A scenario's `kernel:` section: `CONFIG_HZ`, where simulated time 0 falls on the tick
 * grid, and the time khugepaged's work takes (host/khugepaged/costs.ts).
 *
 * @example
 * ```yaml
 * kernel: { hz: 1000, jiffiesAtStart: 4200.5, costs: { allocNs: 80000 } }
 * ```
 */
import { z } from "zod";
import { HZ_CHOICES, type Hz } from "../kernel/jiffies.ts";
import type { KhugepagedCosts } from "../khugepaged/costs.ts";
import { quote } from "./scenario_error.ts";

export interface KernelSpec {
  hz: Hz;
  /** The jiffies counter at simulated time 0; undefined: drawn from the scenario's seed. */
  jiffiesAtStart?: number;
  /** Overrides of the measured default costs. */
  costs: Partial<KhugepagedCosts>;
}

/** The most any one cost may be: a second of CPU for one step is no longer a model of khugepaged. */
const MAX_STEP_NS = 1e9;

const stepNs = z.number().min(0).max(MAX_STEP_NS, {
  error: (i) => `must be at most ${MAX_STEP_NS} ns (1 s), got ${quote(i.input)}`,
});

const Costs = z.strictObject({
  pteNs: stepNs.optional(),
  visitNs: stepNs.optional(),
  allocNs: stepNs.optional(),
  compactNs: stepNs.optional(),
  // 0.01 GB/s is a 200 s copy of 2 MiB; 10 000 GB/s beyond any memory bus.
  copyGBps: z.number().min(0.01).max(10_000).optional(),
  flushNs: stepNs.optional(),
  remapNs: stepNs.optional(),
});

/** The schema of `kernel:`. */
export const KernelSchema = z.strictObject({
  // A literal union (not a refined number), so that the schema's JSON Schema lists the choices.
  hz: z.literal(HZ_CHOICES, {
    error: (i) => `must be one of ${HZ_CHOICES.join(", ")} (CONFIG_HZ), got ${quote(i.input)}`,
  }).default(250),
  jiffiesAtStart: z.number().min(0).lt(2 ** 32).optional(),
  costs: Costs.default({}),
});

export const DEFAULT_KERNEL_SPEC: KernelSpec = { hz: 250, costs: {} };

/** A scenario's `machine:` section: CPUs khugepaged shares with the tasks; undefined: it has one of its own. */
export interface MachineSpec {
  cpus?: number;
  /**
   * Nested paging and the host's page size (host/tlb/virtualization.ts); undefined: bare
   * metal. `{ nested: { "4k": 0.3, "2m": 0.7 } }`: the host backs those fractions of guest
   * memory with each page size.
   */
  virtualization?: "none" | "nested-4k" | "nested-2m" | "nested-1g" | { nested: { "4k"?: number; "2m"?: number; "1g"?: number } };
}

const fraction = z.number().min(0).max(1);
const sum = (f: Record<string, number>) => Number(Object.values(f).reduce((a, x) => a + x, 0).toPrecision(12));

/** The schema of `machine:`. */
export const MachineSchema = z.strictObject({
  cpus: z.number().int().min(1).max(4096).optional(),
  virtualization: z.union([
    z.enum(["none", "nested-4k", "nested-2m", "nested-1g"]),
    z.strictObject({
      nested: z.strictObject({ "4k": fraction.optional(), "2m": fraction.optional(), "1g": fraction.optional() })
        .refine((f) => Math.abs(sum(f) - 1) <= 1e-9, {
          error: (i) => `must be fractions of 4k, 2m and 1g summing to 1, got a sum of ${sum(i.input as Record<string, number>)}`,
        }),
    }),
  ], {
    error: (i) => `must be none, nested-4k, nested-2m, nested-1g or { nested: fractions of 4k, 2m and 1g }, got ${quote(i.input)}`,
  }).optional(),
});

/** A task's scheduling class: its nice value, or SCHED_IDLE (which ignores nice). */
export interface TaskSched {
  nice: number;
  policy: "SCHED_NORMAL" | "SCHED_IDLE";
}

/** The task fields of TaskSched, for the task schema. */
export const taskSchedShape = {
  nice: z.number().int().min(-20).max(19).default(0),
  policy: z.enum(["SCHED_NORMAL", "SCHED_IDLE"]).default("SCHED_NORMAL"),
};
