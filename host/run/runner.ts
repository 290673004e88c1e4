/**
 * Runs a scenario under one kernel variant: builds the kernel, starts each task at its
 * time, drives the simulated clock from one runner event to the next, samples the time
 * series once per interval, and reads the results. Web-standard APIs only: the cores
 * come from the caller's Engine.
 */
import { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { reclaim } from "../mm/reclaim.ts";
import type { Mm } from "../mm/mm.ts";
import { anonHugePagesKb, smapsRollup } from "../mm/smaps.ts";
import type { Variant } from "../kernel/variant.ts";
import { getVariant, type VariantName } from "../kernel/variants/mod.ts";
import { defaultTunables, writeTunable } from "../kernel/tunables.ts";
import { usesMthpSizes } from "../scenario/mthp_sizes.ts";
import { ScenarioError } from "../scenario/scenario_error.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { costModelOf, estimateEndS, runLimitProblem } from "../scenario/run_limits.ts";
import { generateMap, generateRefusal } from "../synth/generate.ts";
import { importedMms } from "./imported_mms.ts";
import { tlbPreset } from "../tlb/presets.ts";
import { DEFAULT_SAMPLE, defaultWarmupAccesses, samplingProblem } from "../tlb/sampler.ts";
import type { TlbSampling } from "./access_sim.ts";
import type { AheadSource } from "./ahead_take.ts";
import { CollapseLog } from "./collapse_log.ts";
import { PassCollapseLog } from "./pass_collapses.ts";
import type { Engine } from "./engine.ts";
import { type Frame, FrameCamera, type FrameChanges } from "./frames.ts";
import type { RunResult, SeriesPoint } from "./result.ts";
import { readResults } from "./run_results.ts";
import { kernelClockOptions } from "./kernel_clock.ts";
import { WakeupLog } from "./wakeup_log.ts";
import { type RunContext, TaskRun } from "./task_run.ts";
import { taskSample } from "./task_sample.ts";

/** Progress, once per simulated interval. */
export interface RunProgress {
  variant: string;
  /** Simulated time reached. */
  timeS: number;
  /** The scenario's end, or an estimate when it ends with its last task. */
  endS: number;
}

/** What a run reports as it goes, in order: start, then per interval progress (and a frame), then done. */
export type RunEvent =
  /** The kernel is built (a generated map is in it) and no task has started: subscribe to `kernel.khugepaged.events` here. */
  | { readonly type: "start"; kernel: KhugepagedKernel }
  /** After each interval of simulated time. */
  | { readonly type: "interval"; progress: RunProgress }
  /** With `frames`: after each interval's progress, and at the end if the run ended between intervals. */
  | { readonly type: "frame"; frame: Frame }
  /** With `frames: "changes"`: as "frame", each map given as what changed since the frame before. */
  | { readonly type: "changes"; frame: FrameChanges }
  /** The run's result, before runScenario returns it. */
  | { readonly type: "done"; result: RunResult };

export interface RunOptions {
  /** Kernel variant (host/kernel/variants/mod.ts); default: the scenario's first. */
  variant?: VariantName;
  /** "exact" simulates every access (tests); "sample" (default) extrapolates long intervals. */
  tlbMode?: "exact" | "sample";
  sampleAccesses?: number;
  warmupAccesses?: number;
  /** Record the trace buffer (default true). */
  trace?: boolean;
  /** Take a Frame of every task's PMD map per interval (the page's animation); "changes": a FrameChanges. */
  frames?: boolean | "changes";
  /**
   * Where an exact run's long access phases are simulated ahead on other threads
   * (host/node/ahead_pool.ts's aheadClient(), on a thread other than the pool's); the
   * results are the same bytes without it.
   */
  ahead?: AheadSource;
  /** Called with each RunEvent; a returned promise is awaited (a browser can repaint). */
  onEvent?: (e: RunEvent) => void | Promise<void>;
}

/**
 * Run `scenario` under one kernel variant with `engine`'s cores.
 *
 * @example
 * const r = await runScenario(loadPreset("hot1-cold-hot2"), await createEngine(), { variant: "lazyfree-skip" });
 * r.tasks.find((t) => t.name === "hot2")?.measurement?.cyclesPerAccess;
 */
export async function runScenario(scenario: Scenario, engine: Engine, options: RunOptions = {}): Promise<RunResult> {
  // A plain object from JavaScript would fail somewhere inside with a TypeError that names nothing.
  if (typeof scenario !== "object" || scenario === null || !Array.isArray(scenario.tasks) || !Array.isArray(scenario.variants)) {
    throw new TypeError("runScenario takes a scenario from validateScenario(), parseScenarioText() or loadPreset()");
  }
  // Counted in, so that compareScenario frees no memory while this run uses it.
  engine.memory.countRun(1);
  try {
    return await simulate(scenario, engine, options);
  } finally {
    engine.memory.countRun(-1);
  }
}

/** runScenario's work, step by step. */
async function simulate(scenario: Scenario, engine: Engine, options: RunOptions): Promise<RunResult> {
  const emit = async (e: RunEvent): Promise<void> => { await options.onEvent?.(e); };
  const settings = runSettings(scenario, options);
  const collapses = new CollapseLog();
  // The tasks runnable when khugepaged wakes, for the CPU it shares with them (machine.cpus).
  let tasks: readonly TaskRun[] = [];
  const runnable = () => tasks.filter((t) => t.runnable).map((t) => t.weight);
  const k = bootKernel(scenario, engine, settings.kernelVariant, options.trace ?? true, runnable);
  k.khugepaged.events.on("collapse", collapses.onCollapse);
  const wakeups = new WakeupLog();
  k.khugepaged.events.on("pass", wakeups.onPass);
  const passes = settings.mthp ? new PassCollapseLog(k, () => tasks.reduce((kb, t) => kb + smapsRollup(t.mm!).Rss, 0)) : null;
  const generated = generate(k, scenario);
  const imported = importedMms(k, scenario);
  await emit({ type: "start", kernel: k });
  const camera = options.frames ? new FrameCamera(k) : null;
  const snap = (timeS: number, endS: number): RunEvent => options.frames === "changes"
    ? { type: "changes", frame: camera!.takeChanges(settings.variant, timeS, endS) }
    : { type: "frame", frame: camera!.take(settings.variant, timeS, endS) };
  const run = new Simulation(k, engine, scenario, settings, options.ahead ?? null);
  tasks = run.tasks;
  run.startTasks();
  let lastIntervalS = -1;
  const endNs = await run.drive(async (progress) => {
    lastIntervalS = progress.timeS;
    await emit({ type: "interval", progress });
    if (camera) await emit(snap(progress.timeS, progress.endS));
  });
  if (camera && endNs / 1e9 !== lastIntervalS) await emit(snap(endNs / 1e9, endNs / 1e9));
  const result = readResults({
    scenario, k, preset: settings.preset, exact: settings.sampling.exact, endNs, tasks: run.tasks, generated, imported, collapses,
    passCollapses: passes?.rows ?? null, series: run.series, wakeups: wakeups.rows,
  });
  await emit({ type: "done", result });
  return result;
}

/** A run's settings from its scenario and options; a sampling or a limit it cannot run with throws a RangeError. */
function runSettings(scenario: Scenario, options: RunOptions) {
  const variant = getVariant(options.variant ?? scenario.variants[0]);
  const preset = tlbPreset(scenario.tlb);
  const sampling: TlbSampling = {
    exact: options.tlbMode === "exact",
    sampleAccesses: options.sampleAccesses ?? DEFAULT_SAMPLE,
    warmupAccesses: options.warmupAccesses ?? defaultWarmupAccesses(preset),
  };
  const problem = samplingProblem(sampling.sampleAccesses, sampling.warmupAccesses);
  if (problem !== null) throw new RangeError(`Cannot run "${scenario.name}": ${problem}`);
  const limit = runLimitProblem(scenario);
  if (limit !== null) throw new RangeError(`Cannot run "${scenario.name}": ${limit.path} ${limit.reason}`);
  return { variant: variant.name, kernelVariant: variant, preset, model: costModelOf(scenario), sampling, mthp: usesMthpSizes(scenario) };
}

type RunSettings = ReturnType<typeof runSettings>;

/** The kernel a run simulates: the scenario's memory, tunables and seed under `variant`. */
function bootKernel(
  scenario: Scenario, engine: Engine, variant: Variant, trace: boolean, runnable: () => number[],
): KhugepagedKernel {
  const tunables = defaultTunables();
  for (const [path, value] of Object.entries(scenario.tunables)) writeTunable(tunables, path, value);
  return new KhugepagedKernel({
    core: engine.memory,
    scanCore: engine.scanCore,
    variant,
    tunables,
    memoryBytes: scenario.memory.totalBytes,
    fragmentation: scenario.memory.fragmentation,
    seed: scenario.seed,
    trace,
    ...kernelClockOptions(scenario, runnable),
  });
}

/**
 * The scenario's `generate:` map, written into `k` at time 0 before any task starts; its
 * seed is the scenario's unless it names its own (so --seed changes the map too). A
 * map that cannot be built (the core memory, the address space, the VMA count) is a
 * ScenarioError of the run.
 */
function generate(k: KhugepagedKernel, scenario: Scenario): Array<{ mm: Mm; initialAnonHugePagesKb: number }> {
  if (scenario.generate === undefined) return [];
  try {
    return generateMap(k, { seed: scenario.seed, ...scenario.generate }).mms
      .map((mm) => ({ mm, initialAnonHugePagesKb: anonHugePagesKb(mm) }));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new ScenarioError(scenario.name, "generate", generateRefusal(err), { verb: "run", cause: err });
  }
}

/** The tasks, the runner's events on the clock, and the time series of one run. */
class Simulation {
  readonly tasks: TaskRun[] = [];
  readonly series: SeriesPoint[] = [];
  readonly #k: KhugepagedKernel;
  readonly #scenario: Scenario;
  readonly #settings: RunSettings;
  readonly #ctx: RunContext;
  /** Times of pending runner events, ascending: the driver stops at each. */
  readonly #stops: number[] = [];
  #running: number;
  /** When the last sample was taken (the last interval, or the end). */
  #lastSampleNs = -1;

  constructor(k: KhugepagedKernel, engine: Engine, scenario: Scenario, settings: RunSettings, ahead: AheadSource | null) {
    this.#k = k;
    this.#scenario = scenario;
    this.#settings = settings;
    this.#running = scenario.tasks.length;
    const { preset, model, sampling } = settings;
    const intervalNs = Math.round(scenario.intervalS * 1e9);
    const endNs = scenario.durationS !== undefined ? Math.round(scenario.durationS * 1e9) : Infinity;
    this.#ctx = {
      k, engine, scenario, preset, model, sampling, intervalNs, endNs, ahead,
      schedule: (at, run) => this.#schedule(at, run),
      spawn: (child) => {
        this.#running++;
        this.tasks.push(child);
        return this.tasks.length - 1;
      },
      taskDone: () => { this.#running--; },
    };
  }

  #schedule(at: number, run: () => void): void {
    this.#k.clock.schedule(at, run);
    let i = this.#stops.length;
    while (i > 0 && this.#stops[i - 1] > at) i--;
    this.#stops.splice(i, 0, at);
  }

  /** Put each task's start and each memory-pressure event on the clock. */
  startTasks(): void {
    this.#scenario.tasks.forEach((spec, i) => {
      const t = new TaskRun(this.#ctx, spec.name, spec.steps, `tasks[${i}].steps`, Math.round(spec.startS * 1e9));
      this.#schedule(t.startNs, () => {
        t.index = this.tasks.length;
        this.tasks.push(t);
        t.start(spec);
      });
    });
    for (const p of this.#scenario.memoryPressure) {
      this.#schedule(Math.round(p.atS * 1e9), () => reclaim(this.#k, Math.ceil(p.targetFreeBytes / 4096)));
    }
  }

  /**
   * Drive the clock from runner event to runner event, sampling once per interval and
   * calling `onInterval` after it, so that the run can stop at the moment its last task
   * finishes (khugepaged's own wake-ups never end). Returns the run's end in ns.
   */
  async drive(onInterval: (p: RunProgress) => Promise<void>): Promise<number> {
    const k = this.#k, { intervalNs, endNs } = this.#ctx;
    const estimatedEndS = this.#scenario.durationS ?? estimateEndS(this.#scenario, this.#settings.model);
    let progress: RunProgress | null = null;
    const onGrid = (): void => {
      this.#sample();
      progress = { variant: this.#settings.variant, timeS: k.now / 1e9, endS: Math.max(estimatedEndS, k.now / 1e9) };
      this.#schedule(k.now + intervalNs, onGrid);
    };
    this.#schedule(intervalNs, onGrid);
    let end = endNs;
    while (this.#stops.length > 0) {
      const at = this.#stops.shift()!;
      if (at > endNs) break;
      k.clock.runUntil(at);
      if (progress !== null) {
        const p: RunProgress = progress;
        progress = null;
        await onInterval(p);
      }
      if (endNs === Infinity && this.#running === 0) {
        end = k.now;
        break;
      }
    }
    if (end === Infinity) end = k.now;
    k.clock.runUntil(end);
    if (this.#lastSampleNs !== end) this.#sample();
    return end;
  }

  /** One point of the time series: khugepaged's counters and each task's sample (task_sample.ts). */
  #sample(): void {
    const k = this.#k;
    this.#lastSampleNs = k.now;
    const iv = Math.ceil(k.now / this.#ctx.intervalNs) - 1;
    const point: SeriesPoint = {
      timeS: k.now / 1e9,
      khugepaged: { fullScans: k.khugepaged.fullScans, pagesCollapsed: k.khugepaged.pagesCollapsed },
      tasks: {},
    };
    for (const t of this.tasks) point.tasks[t.name] = taskSample(t, iv, this.#settings.mthp);
    this.series.push(point);
  }
}
