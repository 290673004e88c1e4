/**
 * One task of a scenario on the simulated clock: its mm and named mappings, its steps
 * walked by a generator (instant steps run at once; sleeps and access phases yield),
 * its TLB, and the totals of its accesses.
 */
import type { Engine } from "./engine.ts";
import { SyscallError, mmap, touch } from "../mm/fault.ts";
import { pinUserPages } from "../mm/gup.ts";
import type { Kernel } from "../mm/kernel.ts";
import { madvise } from "../mm/madvise.ts";
import type { Mm } from "../mm/mm.ts";
import { exitMm, fork } from "../mm/process.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import { VMA } from "../core/layout.ts";
import type { AccessStep, Scenario, Step, TaskSpec } from "../scenario/scenario_schema.ts";
import { ScenarioError } from "../scenario/scenario_error.ts";
import { accessNs, type CostModel } from "../tlb/cost_model.ts";
import type { TlbPreset } from "../tlb/presets.ts";
import { machineVirtualization } from "../tlb/virtualization.ts";
import { TaskTlb } from "../tlb/tlb.ts";
import { simulateChunk, type TlbSampling } from "./access_sim.ts";
import type { AheadSource } from "./ahead_take.ts";
import { TaskAhead } from "./task_ahead.ts";
import { TaskStreams } from "./task_streams.ts";
import { upcomingSteps, type WalkLevel } from "./upcoming.ts";
import { AccessTotals } from "./access_totals.ts";
import { NICE_0_LOAD, taskWeight } from "../kernel/sched_weights.ts";
import { accessOverheadNs, phaseCostModel } from "../scenario/run_limits.ts";
import { virtualizationSpecOf } from "../scenario/cost_preset_schema.ts";
import { applyPageEffects, pageProbabilities } from "./page_effects.ts";
import { mixSeed, mulberry32 } from "./rng.ts";

/** What the tasks of one run share. */
export interface RunContext {
  readonly k: Kernel;
  readonly engine: Engine;
  readonly scenario: Scenario;
  readonly preset: TlbPreset;
  readonly model: CostModel;
  readonly sampling: TlbSampling;
  readonly intervalNs: number;
  /** The scenario's end, or Infinity when it ends with its last task. */
  readonly endNs: number;
  /** Schedule a runner event (the driver loop stops at these times). */
  schedule(at: number, run: () => void): void;
  /** Register a forked child; returns its task index. */
  spawn(child: TaskRun): number;
  /** Called when a task has no steps left. */
  taskDone(task: TaskRun): void;
  /** Where a task's upcoming access chunks are simulated ahead (exact runs on worker threads), or null. */
  readonly ahead: AheadSource | null;
}

/** A pause in a task's steps: a sleep, or an access phase that runs in chunks. */
type Wait = { ns: number } | { phase: AccessStep; path: string };

const VMA_FLAG_BITS = { hugepage: VMA.VM_HUGEPAGE, nohugepage: VMA.VM_NOHUGEPAGE, droppable: VMA.VM_DROPPABLE } as const;

export class TaskRun {
  readonly name: string;
  /** Position in the run's tasks, set when the task starts. */
  index = -1;
  readonly parent: TaskRun | null;
  readonly startNs: number;
  mm: Mm | null = null;
  endNs: number | null = null;
  exited = false;
  readonly perf = new AccessTotals();
  readonly measurement = new AccessTotals();
  /** Load weight (nice or SCHED_IDLE; a forked child keeps its parent's), and whether it is in an access phase: runnable. */
  weight: number;
  runnable = false;
  readonly madviseCollapse: Array<{ timeS: number; ret: number }> = [];
  smallPmdsAtMeasure: number | null = null;
  /** Interval index → the accesses of chunks that started in it; read and dropped by the series sampler. */
  readonly intervals = new Map<number, AccessTotals>();
  readonly #ctx: RunContext;
  readonly #steps: Step[];
  readonly #path: string;
  /** Named mappings: address and size (a VMA may be split later; the range stays). */
  #regions = new Map<string, { start: number; size: number }>();
  #tlb: TaskTlb | null = null;
  readonly #streams: TaskStreams;
  #program: Generator<Wait, void> | null = null;
  /** Where #walk stands, for the steps ahead. */
  readonly #levels: WalkLevel[] = [];
  readonly #ahead: TaskAhead | null;
  #chunks = 0;

  constructor(
    ctx: RunContext, name: string, steps: Step[], path: string, startNs: number, parent: TaskRun | null = null,
  ) {
    this.#ctx = ctx;
    this.name = name;
    this.#steps = steps;
    this.#path = path;
    this.startNs = startNs;
    this.parent = parent;
    this.weight = parent?.weight ?? NICE_0_LOAD;
    this.#streams = new TaskStreams(ctx.engine.memory, ctx.scenario.seed);
    this.#ahead = ctx.ahead === null ? null : new TaskAhead(ctx, ctx.ahead);
  }

  /** Create the mm, map the task's VMAs and run its steps (a scenario task). */
  start(spec: TaskSpec): void {
    const k = this.#ctx.k;
    this.weight = taskWeight(spec.nice, spec.policy);
    this.mm = k.createMm(this.name);
    spec.vmas.forEach((v, j) => {
      let flags = 0;
      for (const f of v.flags) flags |= VMA_FLAG_BITS[f];
      const vma = this.#guard(`tasks[${this.index}].vmas[${j}]`, () =>
        mmap(k, this.mm!, { len: v.size, flags, align: v.alignment, populate: v.populate }));
      this.#regions.set(v.name, { start: vma.start, size: v.size });
    });
    this.#resume();
  }

  /** Run the steps of a forked child whose mm is `mm`. */
  startForked(mm: Mm, regions: Map<string, { start: number; size: number }>): void {
    this.mm = mm;
    this.#regions = new Map(regions);
    this.#resume();
  }

  #guard<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ScenarioError) throw err;
      const why = err instanceof SyscallError || err instanceof RangeError ? err.message : String(err);
      throw new ScenarioError(this.#ctx.scenario.name, path, `failed at ${(this.#ctx.k.now / 1e9).toFixed(3)} s: ${why}`,
        { verb: "run", cause: err });
    }
  }

  /** The task accesses no more memory: its mm's flushes need not reach its TLB. */
  #stopAccessing(): void {
    if (this.#tlb !== null) this.mm!.tlbs.delete(this.#tlb);
  }

  /** Run steps until the next pause, then schedule the rest. */
  #resume = (): void => {
    this.#program ??= this.#walk(this.#steps, this.#path);
    const next = this.#program.next();
    if (next.done) {
      this.endNs = this.#ctx.k.now;
      this.#ahead?.stop();
      this.#stopAccessing();
      this.#ctx.taskDone(this);
      return;
    }
    const wait = next.value;
    this.#ahead?.paused({
      taskIndex: this.index, mm: this.mm!, tlb: this.#tlb, streams: this.#streams, steps: upcomingSteps(this.#levels),
      range: (step) => this.#range(step),
    });
    if ("ns" in wait) this.#ctx.schedule(this.#ctx.k.now + wait.ns, this.#resume);
    else this.#startPhase(wait.phase, wait.path);
  };

  *#walk(steps: Step[], path: string, repeatsLeft = 0): Generator<Wait, void> {
    const level: WalkLevel = { steps, i: 0, repeatsLeft };
    this.#levels.push(level);
    try {
      for (const [i, step] of steps.entries()) {
        level.i = i;
        const at = `${path}[${i}]`;
        switch (step.do) {
          case "sleep":
            yield { ns: Math.round(step.seconds * 1e9) };
            break;
          case "repeat":
            for (let r = 0; r < step.times; r++) yield* this.#walk(step.steps, `${at}.steps`, step.times - r - 1);
            break;
          case "access":
            yield { phase: step, path: at };
            break;
          case "exit":
            this.#stopAccessing();
            this.#guard(at, () => exitMm(this.#ctx.k, this.mm!));
            this.exited = true;
            return;
          case "fork": {
            const childMm = this.#guard(at, () => fork(this.#ctx.k, this.mm!, step.child));
            const child = new TaskRun(this.#ctx, step.child, step.steps, `${at}.steps`, this.#ctx.k.now, this);
            child.index = this.#ctx.spawn(child);
            child.startForked(childMm, this.#regions);
            break;
          }
          case "sysfs":
            // Kernel.writeTunable() applies the store handler's side effects (khugepaged wake-ups, start/stop).
            this.#guard(at, () => this.#ctx.k.writeTunable(step.path, step.value));
            break;
          default:
            this.#guard(at, () => this.#syscall(step));
        }
      }
    } finally {
      this.#levels.pop();
    }
  }

  #range(step: { vma: string; offset: number; length?: number }): { start: number; len: number } {
    const r = this.#regions.get(step.vma)!;
    return { start: r.start + step.offset, len: step.length ?? r.size - step.offset };
  }

  #syscall(step: Exclude<Step, { do: "sleep" | "repeat" | "access" | "exit" | "fork" | "sysfs" }>): void {
    const k = this.#ctx.k;
    const mm = this.mm!;
    const { start, len } = this.#range(step);
    switch (step.do) {
      case "touch":
        touch(k, mm, start, len, step.write);
        break;
      case "madvise": {
        const ret = madvise(k, mm, start, len, step.advice);
        if (step.advice === "MADV_COLLAPSE") this.madviseCollapse.push({ timeS: k.now / 1e9, ret });
        break;
      }
      case "pin": case "unpin":
        pinUserPages(k, mm, start, len, step.do === "unpin");
        break;
    }
  }

  #startPhase(step: AccessStep, path: string): void {
    const ctx = this.#ctx;
    const k = ctx.k;
    const mm = this.mm!;
    const { start, len } = this.#range(step);
    const sim = this.#guard(path, () => this.#streams.get(step, mm, this.index, start, len));
    if (this.#tlb === null) {
      const virtualization = machineVirtualization(virtualizationSpecOf(ctx.scenario.machine), ctx.scenario.seed);
      this.#tlb = new TaskTlb(ctx.engine.memory, ctx.engine.tlbCore, ctx.preset, virtualization);
      mm.tlbs.add(this.#tlb);
    }
    const tlb = this.#tlb;
    const phaseStart = k.now;
    const target = step.count ?? Infinity;
    const deadline = step.durationS !== undefined ? phaseStart + Math.round(step.durationS * 1e9) : ctx.endNs;
    const model = phaseCostModel(ctx.scenario, step, len, ctx.model);
    const overheadNs = accessOverheadNs(step, model);
    const nsPerAccess = step.rate !== undefined
      ? () => 1e9 / step.rate!
      : (walks: number) => accessNs(model, walks, overheadNs);
    let probabilities: Float64Array | null = null;
    let done = 0;
    this.runnable = true;
    if (step.measure && this.smallPmdsAtMeasure === null) this.smallPmdsAtMeasure = this.#smallPmds();

    const chunk = (): void => {
      const now = k.now;
      if (done >= target || now >= deadline) {
        this.runnable = false;
        this.#resume();
        return;
      }
      const grid = (Math.floor(now / ctx.intervalNs) + 1) * ctx.intervalNs;
      const boundary = Math.min(grid, deadline);
      const from = sim.realIndex;
      const ahead = this.#ahead?.take(ctx.engine.memory, mm.pt.dir, tlb, sim, now, target - done, boundary - now) ?? null;
      const res = ahead ?? this.#guard(path, () =>
        simulateChunk(tlb, sim, target - done, boundary - now, nsPerAccess, ctx.sampling));
      if (res.accesses === 0) {
        // Not even one access fits before the boundary: go on from there.
        ctx.schedule(boundary, chunk);
        return;
      }
      const random = mulberry32(mixSeed(ctx.scenario.seed, this.index, 0xeffec7, this.#chunks++));
      this.#guard(path, () => applyPageEffects(k, mm, start, sim, from, res.accesses, step.writeFraction,
        () => (probabilities ??= pageProbabilities(ctx.engine.memory, sim)), random));
      done += res.accesses;
      this.perf.add(res, now, ctx.preset, model);
      if (step.measure) this.measurement.add(res, now, ctx.preset, model);
      const iv = Math.floor(now / ctx.intervalNs);
      let sums = this.intervals.get(iv);
      if (!sums) this.intervals.set(iv, sums = new AccessTotals());
      sums.add(res, now, ctx.preset, model);
      const end = Math.min(now + Math.ceil(res.ns), deadline);
      ctx.schedule(end, chunk);
    };
    chunk();
  }

  /** Whole PMDs of the task's mappings not mapped huge. */
  #smallPmds(): number {
    let n = 0;
    for (const { start, size } of this.#regions.values()) {
      for (let p = Math.ceil(start / PMD_SIZE); (p + 1) * PMD_SIZE <= start + size; p++) if (!this.mm!.huge.has(p)) n++;
    }
    return n;
  }
}
