/**
 * When and what to simulate ahead for a task: at a pause, its upcoming sleeps and
 * access phases up to the next step that is neither, if they hold enough accesses to
 * be worth another thread, as an AheadRequest. Its streams are the task's own (their
 * state copied) or the ones the phases will create (their seeds as TaskRun draws them);
 * a guess that proves wrong is caught by AheadTake's checks, never taken.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PMD_SIZE } from "../mm/vma.ts";
import type { Mm } from "../mm/mm.ts";
import type { AccessStep, Step } from "../scenario/scenario_schema.ts";
import { accessOverheadNs, phaseCostModel } from "../scenario/run_limits.ts";
import { accessNs, type CostModel } from "../tlb/cost_model.ts";
import type { TlbPreset } from "../tlb/presets.ts";
import type { TaskTlb } from "../tlb/tlb.ts";
import { machineVirtualization } from "../tlb/virtualization.ts";
import { virtualizationSpecOf } from "../scenario/cost_preset_schema.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { perSimOf, type TlbSampling } from "./access_sim.ts";
import { type AheadRequest, type AheadStream, type AheadWait, pageWords } from "./ahead_request.ts";
import { type AheadSource, AheadTake } from "./ahead_take.ts";
import type { TaskStreams } from "./task_streams.ts";

/** Steps looked at past a pause, at most: a speculation replays no more. */
const MAX_STEPS = 4096;
/** The largest span of PMDs a speculation copies and a run compares per chunk (4 GiB). */
const MAX_PMDS = 2048;

/** What of a run the plan reads (TaskRun's RunContext). */
export interface AheadRun {
  readonly k: { readonly now: number };
  readonly engine: { readonly memory: CoreMemory };
  readonly scenario: Scenario;
  readonly model: CostModel;
  readonly sampling: TlbSampling;
  readonly preset: TlbPreset;
  readonly intervalNs: number;
  readonly endNs: number;
}

/** What of a task the plan reads. */
export interface AheadPlanInput {
  readonly taskIndex: number;
  readonly mm: Mm;
  readonly tlb: TaskTlb | null;
  readonly streams: TaskStreams;
  /** The steps from the pause on (upcoming.ts). */
  readonly steps: Iterable<Step>;
  /** The address range an access step covers. */
  range(step: AccessStep): { start: number; len: number };
}

/**
 * The request for the task's upcoming phases and each stream's perSim; or, when they are
 * not worth one, how many of the task's next pauses need not ask again (those whose steps
 * ahead are a part of these).
 */
function aheadPlan(run: AheadRun, input: AheadPlanInput, worthAccesses: number):
  { request: AheadRequest; perSim: number[] } | { skip: number } {
  const { mm } = input;
  const { scenario, engine: { memory } } = run;
  const waits: AheadWait[] = [];
  const streams: AheadStream[] = [];
  const streamOf = new Map<AccessStep, number>();
  let created = 0;
  let worth = 0;
  let first = Infinity, last = -Infinity;
  let seen = 0;
  let cut = false;
  for (const step of input.steps) {
    if (step.do !== "sleep" && step.do !== "access") break;
    if (++seen > MAX_STEPS) {
      cut = true;
      break;
    }
    if (step.do === "sleep") {
      waits.push({ sleepNs: Math.round(step.seconds * 1e9) });
      continue;
    }
    const { start, len } = input.range(step);
    if (!streamOf.has(step)) {
      const firstPmd = Math.floor(start / PMD_SIZE) - mm.pt.basePmd;
      first = Math.min(first, firstPmd);
      last = Math.max(last, Math.floor((start + len - 1) / PMD_SIZE) - mm.pt.basePmd);
      const { seed, state } = input.streams.predict(step, mm, input.taskIndex, created);
      if (state === null) created++;
      streamOf.set(step, streams.length);
      streams.push({
        firstPmd, offset: start % PMD_SIZE, length: len, pattern: { ...step.pattern, storeFraction: step.writeFraction }, seed, state,
      });
    }
    const model = phaseCostModel(scenario, step, len, run.model);
    const overheadNs = accessOverheadNs(step, model);
    const pace = step.rate !== undefined ? { rate: step.rate } : { model, overheadNs };
    const durationNs = step.durationS !== undefined ? Math.round(step.durationS * 1e9) : null;
    const fastestNs = step.rate !== undefined ? 1e9 / step.rate : accessNs(model, 0, overheadNs);
    worth += Math.min(step.count ?? Infinity, (durationNs ?? Infinity) / fastestNs) / perSimOf(step.pattern);
    waits.push({ phase: { stream: streamOf.get(step)!, count: step.count ?? Infinity, durationNs, pace } });
  }
  if (worth < worthAccesses || streams.length === 0 || last - first >= MAX_PMDS) {
    // Past a cut, phases worth a request may follow: ask again halfway.
    return { skip: Math.max(0, (cut ? waits.length >> 1 : waits.length) - 1) };
  }
  const request: AheadRequest = {
    startNs: run.k.now, intervalNs: run.intervalNs, endNs: run.endNs, sampling: run.sampling,
    preset: input.tlb?.preset ?? run.preset,
    virtualization: input.tlb?.virtualization ?? machineVirtualization(virtualizationSpecOf(scenario.machine), scenario.seed),
    tlb: input.tlb?.state().slice() ?? null,
    pages: { firstPmd: first, lastPmd: last, words: pageWords(memory, mm.pt.dir, first, last) },
    waits, streams,
  };
  return { request, perSim: streams.map((s) => perSimOf(s.pattern)) };
}

/**
 * Start simulating a task's upcoming phases ahead on `source`, if worth it: what the
 * task takes the chunks back through, or the pauses not to ask at.
 */
export function startAhead(run: AheadRun, source: AheadSource, input: AheadPlanInput): AheadTake | { skip: number } {
  const plan = aheadPlan(run, input, source.worthAccesses);
  if ("skip" in plan) return plan;
  const reader = source.start(plan.request);
  return reader === null ? { skip: 0 } : new AheadTake(reader, plan.request, plan.perSim);
}
