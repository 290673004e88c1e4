/**
 * The scenario file: one zod schema for JSON and YAML. It checks each field's shape
 * and range; load_scenario.ts adds the checks that span fields (names that must exist,
 * ranges inside their VMA, tunables the kernel would refuse).
 *
 * @example
 * ```yaml
 * name: two-tasks
 * variants: [baseline, lazyfree-skip]
 * tunables: { enabled: madvise, khugepaged/max_ptes_none: 511 }
 * tasks:
 *   - name: hot
 *     vmas: [{ name: buf, size: 128 MiB, populate: true }]
 *     steps:
 *       - { do: madvise, vma: buf, advice: MADV_HUGEPAGE }
 *       - { do: access, vma: buf, pattern: { kind: uniform }, count: 1000000, measure: true }
 * ```
 */
import { z } from "zod";
import { MADV_ADVICES } from "../mm/madvise.ts";
import { MAX_PHYS_BYTES } from "../mm/phys_mem.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import type { SynthSpecInput } from "../synth/spec.ts";
import { formatByteSize, parseByteSize } from "../core/byte_size.ts";
import { quote } from "./scenario_error.ts";
import { DEFAULT_KERNEL_SPEC, type KernelSpec, KernelSchema, MachineSchema, type MachineSpec, type TaskSched, taskSchedShape } from "./kernel_schema.ts";

export type Advice = (typeof MADV_ADVICES)[number];

/** Where an access pattern sends its accesses (see host/tlb/access_stream.ts). */
export type PatternSpec =
  | { kind: "sequential"; stride: number }
  | { kind: "uniform" }
  | { kind: "hot"; hotFraction: number; hotProbability: number; hotOffset?: number }
  | { kind: "zipf"; exponent: number };

/** A byte range of one of the task's VMAs; `length` undefined means to the VMA's end. */
export interface RangeSpec {
  vma: string;
  offset: number;
  length?: number;
}

export type TouchStep = RangeSpec & { do: "touch"; write: boolean };
export type MadviseStep = RangeSpec & { do: "madvise"; advice: Advice };
/** GUP long-term pins (`pin_user_pages(FOLL_LONGTERM)`, as io_uring or vfio take them): the folio's refcount rises. */
export type PinStep = RangeSpec & { do: "pin" | "unpin" };
export type AccessStep = RangeSpec & {
  do: "access";
  pattern: PatternSpec;
  /** Accesses per second; without it the TLB cost model sets the pace. */
  rate?: number;
  /** Fraction of accesses that are stores. */
  writeFraction: number;
  count?: number;
  durationS?: number;
  untilEnd?: boolean;
  /** The phase the report treats as the measurement (the seed program's timed loop). */
  measure: boolean;
  /** Work per access outside the load (the seed's offset generation); default: the cost model's. */
  overheadNsPerAccess?: number;
};
export interface SleepStep { do: "sleep"; seconds: number }
export interface RepeatStep { do: "repeat"; times: number; steps: Step[] }
export interface ForkStep { do: "fork"; child: string; steps: Step[] }
export interface ExitStep { do: "exit" }
/**
 * A write to a file under /sys/kernel/mm/transparent_hugepage/ (`path` relative to it
 * or absolute) at this point of the task, with the store handler's side effects.
 */
export interface SysfsStep { do: "sysfs"; path: string; value: string | number }
export type Step = TouchStep | MadviseStep | PinStep | AccessStep | SleepStep | RepeatStep | ForkStep | ExitStep | SysfsStep;

export type VmaFlag = "hugepage" | "nohugepage" | "droppable";

export interface VmaSpec {
  name: string;
  size: number;
  /** Placement alignment; undefined: the kernel's rule (2 MiB for a multiple of 2 MiB). */
  alignment?: number;
  flags: VmaFlag[];
  /** MAP_POPULATE: write-fault every page at mmap time. */
  populate: boolean;
}

export interface TaskSpec extends TaskSched { name: string; startS: number; vmas: VmaSpec[]; steps: Step[] }

export interface Scenario {
  name: string;
  description: string;
  /** Kernel variants to run (host/kernel/variants/mod.ts: a named variant or VERSION+POLICY). */
  variants: string[];
  /** sysfs writes under /sys/kernel/mm/transparent_hugepage/, in order. */
  tunables: Record<string, string | number>;
  /** TLB preset (host/tlb/presets.ts). */
  tlb: string;
  /** Which published line turns walks into time (host/tlb/cost_model.ts). */
  costModel: "bare-metal" | "kvm-guest" | "zen5-parts";
  seed: number;
  kernel: KernelSpec;
  machine: MachineSpec;
  /** End of the run; undefined: when the last task has run all its steps. */
  durationS?: number;
  /** Sampling interval of the time series. */
  intervalS: number;
  memory: { totalBytes: number; fragmentation: number };
  memoryPressure: Array<{ atS: number; targetFreeBytes: number }>;
  /**
   * A synthetic address space generated at time 0, before any task step (host/synth,
   * as `khugesim generate` takes it); khugepaged scans its mms with the tasks'. Checked
   * by `parseSynthSpec`; its seed defaults to the scenario's.
   */
  generate?: SynthSpecInput;
  /**
   * A snapshot file (`khugesim capture`) imported at time 0 beside the tasks, its path
   * relative to the scenario file; `imported` is the snapshot the Node loader read from it.
   */
  import?: string;
  imported?: Snapshot;
  /** May be empty only when the scenario generates or imports a map. */
  tasks: TaskSpec[];
}

const nonNegative = z.number().min(0);
/** The longest simulated time: 100 days, inside the 104 days a double counts in whole nanoseconds. */
export const MAX_SIM_S = 100 * 24 * 3600;

/** The reason a simulated time longer than MAX_SIM_S is refused. */
export function simTimeTooLong(got: unknown): string {
  return `must be at most ${MAX_SIM_S} s (100 days of simulated time), got ${quote(got)}`;
}

/** Simulated seconds, at most MAX_SIM_S. */
const simSeconds = z.number().max(MAX_SIM_S, { error: (i) => simTimeTooLong(i.input) });

/**
 * The shortest sampling interval: 1 µs, so that rounding it to the clock's whole
 * nanoseconds moves the grid by at most 0.05 %.
 */
const MIN_INTERVAL_S = 1e-6;

/** A size in bytes: a number or "128 MiB"; whole, positive, and a multiple of `multiple`. */
function byteSize(multiple: number, allowZero = false) {
  return z.unknown().transform((raw, ctx) => {
    const bytes = parseByteSize(raw);
    const fail = (message: string) => {
      ctx.issues.push({ code: "custom", message, input: raw });
      return z.NEVER;
    };
    if (bytes === undefined || !Number.isFinite(bytes)) {
      return fail(`must be a number of bytes or a size such as "128 MiB", got ${quote(raw)}`);
    }
    if (!Number.isSafeInteger(bytes)) return fail(`must be a whole number of bytes, got ${quote(raw)}`);
    if (bytes < 0 || (bytes === 0 && !allowZero)) return fail(`must be ${allowZero ? "non-negative" : "positive"}, got ${quote(raw)}`);
    if (bytes % multiple !== 0) return fail(`must be a multiple of ${multiple}, got ${quote(raw)}`);
    return bytes;
  });
}

const rangeShape = {
  vma: z.string().min(1),
  offset: byteSize(4096, true).default(0),
  length: byteSize(4096).optional(),
};

const Pattern: z.ZodType<PatternSpec> = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("sequential"), stride: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal("uniform") }),
  z.strictObject({
    kind: z.literal("hot"),
    hotFraction: z.number().gt(0).lt(1),
    hotProbability: z.number().min(0).max(1),
    hotOffset: z.number().min(0).lt(1).optional(),
  }),
  z.strictObject({ kind: z.literal("zipf"), exponent: z.number().gt(0).max(10) }),
]);

const Access = z.strictObject({
  do: z.literal("access"),
  ...rangeShape,
  pattern: Pattern,
  rate: z.number().gt(0).optional(),
  writeFraction: z.number().min(0).max(1).default(0),
  count: z.number().int().min(1).optional(),
  durationS: simSeconds.gt(0).optional(),
  untilEnd: z.literal(true).optional(),
  measure: z.boolean().default(false),
  overheadNsPerAccess: nonNegative.optional(),
});

const StepSchema: z.ZodType<Step> = z.discriminatedUnion("do", [
  z.strictObject({ do: z.literal("touch"), ...rangeShape, write: z.boolean().default(true) }),
  z.strictObject({ do: z.literal("madvise"), ...rangeShape, advice: z.enum(MADV_ADVICES) }),
  z.strictObject({ do: z.enum(["pin", "unpin"]), ...rangeShape }),
  Access,
  z.strictObject({ do: z.literal("sleep"), seconds: simSeconds.min(0) }),
  z.strictObject({
    do: z.literal("repeat"),
    times: z.number().int().min(1),
    get steps() {
      return z.array(StepSchema);
    },
  }),
  z.strictObject({
    do: z.literal("fork"),
    child: z.string().min(1),
    get steps() {
      return z.array(StepSchema).default([]);
    },
  }),
  z.strictObject({ do: z.literal("exit") }),
  z.strictObject({ do: z.literal("sysfs"), path: z.string().min(1), value: z.union([z.string(), z.number()]) }),
]) as z.ZodType<Step>;

const Vma = z.strictObject({
  name: z.string().min(1),
  size: byteSize(4096),
  alignment: byteSize(4096).refine((a) => (a & (a - 1)) === 0, { error: (i) => `must be a power of two, got ${quote(i.input)}` })
    .optional(),
  flags: z.array(z.enum(["hugepage", "nohugepage", "droppable"])).default([]),
  populate: z.boolean().default(false),
});

const Task = z.strictObject({
  name: z.string().min(1),
  startS: simSeconds.min(0).default(0),
  vmas: z.array(Vma).default([]),
  steps: z.array(StepSchema).default([]),
  ...taskSchedShape,
});

/** The schema of a scenario file. */
export const ScenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(""),
  variants: z.array(z.string()).min(1).default(["baseline", "lazyfree-skip"]),
  tunables: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  tlb: z.string().default("zen5"),
  costModel: z.enum(["bare-metal", "kvm-guest", "zen5-parts"]).default("bare-metal"),
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  kernel: KernelSchema.default(DEFAULT_KERNEL_SPEC),
  machine: MachineSchema.default({}),
  durationS: simSeconds.gt(0).optional(),
  intervalS: simSeconds.min(MIN_INTERVAL_S, {
    error: (i) => `must be at least ${MIN_INTERVAL_S} s (1 µs of simulated time), got ${quote(i.input)}`,
  }).default(1),
  memory: z.strictObject({
    totalBytes: byteSize(2 * 1024 * 1024).refine((b) => b <= MAX_PHYS_BYTES, {
      error: (i) => `must be at most ${formatByteSize(MAX_PHYS_BYTES)} (${MAX_PHYS_BYTES}), ` +
        `the most the physical-memory model holds, got ${quote(i.input)}`,
    }).default(16 * 1024 ** 3),
    fragmentation: z.number().min(0).max(1).default(0),
  }).default({ totalBytes: 16 * 1024 ** 3, fragmentation: 0 }),
  memoryPressure: z.array(z.strictObject({ atS: simSeconds.min(0), targetFreeBytes: byteSize(4096, true) }))
    .default([]),
  // Checked field by field by parseSynthSpec (load_scenario.ts), whose messages name the path.
  generate: z.custom<SynthSpecInput>().optional(),
  // Read by the Node loader (host/node/scenario_source.ts), which names the file in its errors.
  import: z.string().min(1).optional(),
  // At least one task unless the scenario generates a map (load_scenario.ts).
  tasks: z.array(Task).optional(),
});

/** A scenario as written in a file or a preset module, before defaults and checks. */
export type ScenarioInput = z.input<typeof ScenarioSchema>;
