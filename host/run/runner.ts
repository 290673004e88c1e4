/**
 * Runs a scenario under one kernel variant: builds the Kernel, starts each task at its
 * time, drives the simulated clock from one runner event to the next, samples the time
 * series once per interval, and reads the results. Web-standard APIs only: the cores
 * come from the caller's Engine.
 */
import { SCAN_RESULTS } from "../core/scan_result.ts";
import { Kernel } from "../mm/kernel.ts";
import { reclaim } from "../mm/reclaim.ts";
import type { Mm } from "../mm/mm.ts";
import { anonHugePagesKb, smapsRollup } from "../mm/smaps.ts";
import type { Variant } from "../kernel/variant.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { defaultTunables, writeTunable } from "../kernel/tunables.ts";
import { ScenarioError } from "../scenario/scenario_error.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { generateMap, generateRefusal } from "../synth/generate.ts";
import { importSnapshot } from "../snapshot/import.ts";
import { tlbPreset } from "../tlb/presets.ts";
import { DEFAULT_SAMPLE, defaultWarmupAccesses, samplingProblem } from "../tlb/sampler.ts";
import type { TlbSampling } from "./access_sim.ts";
import { CollapseLog, type CollapseStats } from "./collapse_log.ts";
import type { Engine } from "./engine.ts";
import { costModelOf, estimateEndS, runLimitProblem } from "../scenario/run_limits.ts";
import type { CollapseSummary, GeneratedResult, RunResult, SeriesPoint, TaskResult, TaskSample } from "./result.ts";
import { type RunContext, TaskRun } from "./task_run.ts";

/** Progress, once per simulated interval. */
export interface RunProgress {
  variant: string;
  /** Simulated time reached. */
  timeS: number;
  /** The scenario's end, or an estimate when it ends with its last task. */
  endS: number;
}

export interface RunOptions {
  /** Kernel variant (host/khugepaged/variants); default: the scenario's first. */
  variant?: string;
  /** "exact" simulates every access (tests); "sample" (default) extrapolates long intervals. */
  tlbMode?: "exact" | "sample";
  sampleAccesses?: number;
  warmupAccesses?: number;
  /** Record the trace buffer (default true). */
  trace?: boolean;
  /** Called after each interval; a returned promise is awaited (a browser can repaint). */
  onInterval?: (p: RunProgress) => void | Promise<void>;
  /**
   * Called once with the run's kernel before any task starts, for observers that read
   * its state between intervals (the page's map of each task's PMDs).
   */
  observe?: (kernel: Kernel) => void;
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

/** runScenario's work: build the kernel and the tasks, drive the clock, read the results. */
async function simulate(scenario: Scenario, engine: Engine, options: RunOptions): Promise<RunResult> {
  const variant = getVariant(options.variant ?? scenario.variants[0]);
  const preset = tlbPreset(scenario.tlb);
  const model = costModelOf(scenario.costModel);
  const exact = options.tlbMode === "exact";
  const sampling: TlbSampling = {
    exact,
    sampleAccesses: options.sampleAccesses ?? DEFAULT_SAMPLE,
    warmupAccesses: options.warmupAccesses ?? defaultWarmupAccesses(preset),
  };
  const problem = samplingProblem(sampling.sampleAccesses, sampling.warmupAccesses);
  if (problem !== null) throw new RangeError(`Cannot run "${scenario.name}": ${problem}`);
  const limit = runLimitProblem(scenario);
  if (limit !== null) throw new RangeError(`Cannot run "${scenario.name}": ${limit.path} ${limit.reason}`);
  const tunables = defaultTunables();
  for (const [path, value] of Object.entries(scenario.tunables)) writeTunable(tunables, path, value);
  const collapses = new CollapseLog(engine.memory);
  const k = new Kernel({
    core: engine.memory,
    scanCore: collapses.wrap(engine.scanCore),
    variant,
    tunables,
    memoryBytes: scenario.memory.totalBytes,
    fragmentation: scenario.memory.fragmentation,
    seed: scenario.seed,
    trace: options.trace ?? true,
  });
  k.khugepaged.onCollapse = collapses.onCollapse;
  const generated = generate(k, scenario);
  const imported = importMms(k, scenario);
  options.observe?.(k);

  const intervalNs = Math.round(scenario.intervalS * 1e9);
  const endNs = scenario.durationS !== undefined ? Math.round(scenario.durationS * 1e9) : Infinity;
  const estimatedEndS = scenario.durationS ?? estimateEndS(scenario, model);
  /** Times of pending runner events, ascending: the driver stops at each. */
  const stops: number[] = [];
  const tasks: TaskRun[] = [];
  let running = scenario.tasks.length;
  const ctx: RunContext = {
    k, engine, scenario, preset, model, sampling, intervalNs, endNs,
    schedule(at, run) {
      k.clock.schedule(at, run);
      let i = stops.length;
      while (i > 0 && stops[i - 1] > at) i--;
      stops.splice(i, 0, at);
    },
    spawn(child) {
      running++;
      tasks.push(child);
      return tasks.length - 1;
    },
    taskDone() {
      running--;
    },
  };

  scenario.tasks.forEach((spec, i) => {
    const t = new TaskRun(ctx, spec.name, spec.steps, `tasks[${i}].steps`, Math.round(spec.startS * 1e9));
    ctx.schedule(t.startNs, () => {
      t.index = tasks.length;
      tasks.push(t);
      t.start(spec);
    });
  });
  for (const p of scenario.memoryPressure) {
    ctx.schedule(Math.round(p.atS * 1e9), () => reclaim(k, Math.ceil(p.targetFreeBytes / 4096)));
  }

  const series: SeriesPoint[] = [];
  let lastSampleNs = -1;
  const sample = (): SeriesPoint => {
    lastSampleNs = k.now;
    const iv = Math.ceil(k.now / intervalNs) - 1;
    const point: SeriesPoint = {
      timeS: k.now / 1e9,
      khugepaged: { fullScans: k.khugepaged.fullScans, pagesCollapsed: k.khugepaged.pagesCollapsed },
      tasks: {},
    };
    for (const t of tasks) {
      const m = smapsRollup(t.mm!);
      const sums = t.intervals.get(iv);
      t.intervals.delete(iv);
      const s: TaskSample = {
        anonHugePagesKb: m.AnonHugePages, rssKb: m.Rss, lazyFreeKb: m.LazyFree, swapKb: m.Swap,
        accesses: Math.round(sums?.accesses ?? 0),
        dtlbLoadMisses: Math.round(sums?.dtlbLoadMisses ?? 0),
        cyclesPerAccess: sums && sums.accesses > 0 ? sums.ticks / sums.accesses : null,
      };
      point.tasks[t.name] = s;
    }
    series.push(point);
    return point;
  };
  let progress: RunProgress | null = null;
  const onGrid = (): void => {
    sample();
    progress = { variant: variant.name, timeS: k.now / 1e9, endS: Math.max(estimatedEndS, k.now / 1e9) };
    ctx.schedule(k.now + intervalNs, onGrid);
  };
  ctx.schedule(intervalNs, onGrid);

  // Drive the clock from runner event to runner event, so that the run can stop at the
  // moment its last task finishes (khugepaged's own wake-ups never end).
  let end = endNs;
  while (stops.length > 0) {
    const at = stops.shift()!;
    if (at > endNs) break;
    k.clock.runUntil(at);
    if (progress !== null) {
      const p: RunProgress = progress;
      progress = null;
      await options.onInterval?.(p);
    }
    if (endNs === Infinity && running === 0) {
      end = k.now;
      break;
    }
  }
  if (end === Infinity) end = k.now;
  k.clock.runUntil(end);
  if (lastSampleNs !== end) sample();

  const taskResults: TaskResult[] = tasks.map((t) => {
    const m = smapsRollup(t.mm!);
    return {
      name: t.name,
      pid: t.mm!.id,
      parent: t.parent?.name ?? null,
      startS: t.startNs / 1e9,
      endS: t.endNs === null ? null : t.endNs / 1e9,
      exited: t.exited,
      perf: t.perf.report(),
      measurement: t.measurement.report(),
      memory: { anonHugePagesKb: m.AnonHugePages, rssKb: m.Rss, lazyFreeKb: m.LazyFree, swapKb: m.Swap },
      collapses: collapseSummary(collapses.stats(t.name)),
      madviseCollapse: t.madviseCollapse,
    };
  });
  const mapResults = (list: typeof generated): GeneratedResult[] => list.map(({ mm, initialAnonHugePagesKb }) => ({
    name: mm.name,
    pid: mm.id,
    initialAnonHugePagesKb,
    anonHugePagesKb: anonHugePagesKb(mm),
    collapses: collapseSummary(collapses.stats(mm.name)),
  }));
  return {
    scenario: scenario.name,
    variant: variant.name,
    seed: scenario.seed,
    tlb: preset.name,
    costModel: scenario.costModel,
    tlbMode: exact ? "exact" : "sample",
    endS: end / 1e9,
    tasks: taskResults,
    ...(scenario.generate !== undefined ? { generated: mapResults(generated) } : {}),
    ...(scenario.import !== undefined ? { imported: mapResults(imported) } : {}),
    khugepaged: {
      fullScans: k.khugepaged.fullScans, pagesCollapsed: k.khugepaged.pagesCollapsed, wakeups: k.khugepaged.wakeups,
      scanResults: scanResultCounts(k.khugepaged.scanResults, k.variant),
    },
    vmstat: { ...k.vmstat },
    series,
    trace: k.tracer.ftrace(),
  };
}

/** Counts by result code as counts by the variant's trace string, in SCAN_RESULTS order, without zeros. */
function scanResultCounts(counts: readonly number[], variant: Variant): Record<string, number> {
  const out: Record<string, number> = {};
  SCAN_RESULTS.forEach((_, code) => {
    if (counts[code] > 0) out[variant.traceString(code)] = counts[code];
  });
  return out;
}

/** A task's (or a generated mm's) collapses in seconds and kB. */
function collapseSummary(c: CollapseStats): CollapseSummary {
  return {
    count: c.count,
    firstS: c.firstNs === null ? null : c.firstNs / 1e9,
    lastS: c.lastNs === null ? null : c.lastNs / 1e9,
    lazyfreeKb: c.lazyfreePages * 4,
  };
}

/**
 * The scenario's `generate:` map, written into `k` at time 0 before any task starts; its
 * seed is the scenario's unless it names its own (so --seed changes the map too). A
 * map that cannot be built (the core memory, the address space, the VMA count) is a
 * ScenarioError of the run.
 */
function generate(k: Kernel, scenario: Scenario): Array<{ mm: Mm; initialAnonHugePagesKb: number }> {
  if (scenario.generate === undefined) return [];
  try {
    return generateMap(k, { seed: scenario.seed, ...scenario.generate }).mms
      .map((mm) => ({ mm, initialAnonHugePagesKb: anonHugePagesKb(mm) }));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new ScenarioError(scenario.name, "generate", generateRefusal(err), { verb: "run", cause: err });
  }
}

/**
 * The scenario's `import:` snapshot as mms, written into `k` at time 0 after the generated
 * map. The Node loader reads the file into `scenario.imported`; a snapshot that does not
 * fit the core memory is a ScenarioError of the run.
 */
function importMms(k: Kernel, scenario: Scenario): Array<{ mm: Mm; initialAnonHugePagesKb: number }> {
  if (scenario.import === undefined) return [];
  if (scenario.imported === undefined) {
    throw new ScenarioError(scenario.name, "import", "was not read: a snapshot file is loaded by the Node CLI's scenario loader",
      { verb: "run" });
  }
  try {
    return importSnapshot(k, scenario.imported).map(({ mm }) => ({ mm, initialAnonHugePagesKb: anonHugePagesKb(mm) }));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new ScenarioError(scenario.name, "import", `cannot be imported: ${(err as { reason?: string }).reason ?? err.message}`, { verb: "run", cause: err });
  }
}
