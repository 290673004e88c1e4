/**
 * The plan of a synthetic map: tasks, VMA layout, the class of every PMD, how many PTE
 * tables it needs and how many bytes of core memory, all decided from the spec and its
 * seed before anything is allocated. PMD classes are drawn by a streaming walk that
 * the generator repeats, so a terabyte map needs no per-PMD array on the host.
 */
import { PMD_SIZE, PTE_TABLE_BYTES } from "../core/layout.ts";
import { MMAP_BASE, placeBelow } from "../mm/address_space.ts";
import { formatByteSize } from "../core/byte_size.ts";
import { drawState, PMD_KINDS, type PmdKind, STATES, stateOdds, type StateOdds, type Template } from "./pmd_class.ts";
import { Rng } from "./rng.ts";
import type { SynthSpec } from "./spec.ts";

/** Synthetic pfns start here (8 TiB into the pfn space): far above any PhysMem the model builds. */
export const SYNTH_PFN_BASE = 0x80000000;
/** 2 MiB blocks of synthetic pfns below PFN_NONE. */
export const SYNTH_PFN_BLOCKS = 0x80000000 / 512 - 1;

/** PMD class codes of the walk: pmd_none, a huge PMD, or template `code - CODE_TEMPLATE`. */
export const CODE_NONE = 0;
export const CODE_HUGE = 1;
export const CODE_TEMPLATE = 2;

/** Purpose tags of the random streams. */
const TAG_VMA = 1, TAG_PMD = 2;
export const TAG_TEMPLATE = 3, TAG_OWN = 4;

export interface TaskLayout {
  name: string;
  /** VMAs by PMD offset from the task's first PMD, in address order, one empty PMD apart. */
  vmas: Array<{ offset: number; pmds: number }>;
  /** PMDs from the first VMA's start to the last one's end. */
  spanPmds: number;
  /** Mapped PMDs (the task's share of the size). */
  pmds: number;
}

export interface SynthPlan {
  spec: SynthSpec;
  tasks: TaskLayout[];
  /** Mapped PMDs over all tasks. */
  pmds: number;
  vmas: number;
  /** Templates in id order, as the walk first met them. */
  templates: Template[];
  /** PMDs by class: pmd_none, huge, and PTE-mapped full, sparse and mixed ones. */
  counts: { none: number; huge: number; full: number; sparse: number; mixed: number };
  /** PTE tables the map allocates (shared ones once). */
  tables: number;
  /** Synthetic pfn blocks given to single PMDs (huge PMDs, and every PMD with pfns "pmd"). */
  ownPfnBlocks: number;
  /** Upper bound of the core memory the map takes, alignment included. */
  bytes: number;
  /** Odds the walk and the table writer sample from. */
  odds: StateOdds;
  templateIds: Map<number, number>;
}

function templateKey(kind: number, state: number, variant: number): number {
  return (kind * STATES.length + state) * 65536 + variant;
}

/** The walk's code function for a planned map: the code of an already-known template. */
export function knownTemplateCode(plan: SynthPlan): (kind: number, state: number, variant: number) => number {
  return (kind, state, variant) => {
    const id = plan.templateIds.get(templateKey(kind, state, variant));
    if (id === undefined) throw new Error(`Synthetic map plan is missing template (${kind}, ${state}, ${variant})`);
    return CODE_TEMPLATE + id;
  };
}

/** Whether a template's PMDs may share one PTE table. */
export function templateShared(spec: SynthSpec, kind: PmdKind): boolean {
  return spec.dedup && spec.pfns === "class" && !(spec.variety === "unique" && kind !== "full");
}

function drawVmaPmds(spec: SynthSpec, rng: Rng): number {
  const d = spec.vmaSize;
  const bytes = d.dist === "fixed" ? d.size
    : d.dist === "uniform" ? d.min + rng.next() * (d.max - d.min + PMD_SIZE)
    : d.median * Math.exp(d.sigma * rng.normal());
  return Math.max(1, Math.floor(bytes / PMD_SIZE));
}

/**
 * A synthetic map refused before it is built: the reason (core memory, pfn space,
 * address space, VMA count) is kept apart from the "Cannot generate …" the message adds,
 * so a scenario's refusal can name its field instead.
 */
export class SynthRefusal extends RangeError {
  constructor(spec: SynthSpec, readonly reason: string, readonly fixes: readonly SynthFix[] = []) {
    super(`Cannot generate a synthetic map of ${formatByteSize(spec.size)}: ${reason}`);
    this.name = "SynthRefusal";
  }
}

/**
 * A change to the map description that would make a refused map fit: a field (a dotted
 * path such as "fractions.huge") and which way to move it, or the value to give it.
 */
export interface SynthFix {
  field: string;
  change: "raise" | "lower" | { to: string | number | boolean };
}

/**
 * `fixes` in words, each field named by `name` and each value set by `set`:
 * "lower generate.size or set generate.pfns to class".
 */
export function fixesText(fixes: readonly SynthFix[], name: (field: string) => string,
  set = (field: string, to: string | number | boolean) => `set ${name(field)} to ${to}`): string {
  const words = fixes.map((f) => typeof f.change === "string" ? `${f.change} ${name(f.field)}` : set(f.field, f.change.to));
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * The most VMAs a task may map: vm.max_map_count's default (DEFAULT_MAX_MAP_COUNT,
 * USHRT_MAX - 5), past which the kernel's mmap fails with ENOMEM.
 */
export const MAX_MAP_COUNT = 65530;

/** Lay out every task's VMAs (sizes drawn per task from its own stream). */
function layoutTasks(spec: SynthSpec): TaskLayout[] {
  const total = spec.size / PMD_SIZE;
  const per = Math.floor(total / spec.tasks), extra = total % spec.tasks;
  const tasks: TaskLayout[] = [];
  for (let t = 0; t < spec.tasks; t++) {
    const pmds = per + (t < extra ? 1 : 0);
    const rng = new Rng(spec.seed, TAG_VMA, t);
    const vmas: TaskLayout["vmas"] = [];
    let left = pmds, offset = 0;
    while (left > 0) {
      const n = Math.min(left, drawVmaPmds(spec, rng));
      if (vmas.length === MAX_MAP_COUNT) {
        throw new SynthRefusal(spec, `task ${spec.name}-${t} would map more than ${MAX_MAP_COUNT} VMAs, vm.max_map_count's default`,
          [{ field: "tasks", change: "raise" }, { field: "vmaSize", change: "raise" }]);
      }
      vmas.push({ offset, pmds: n });
      // mmap places the next 2 MiB-multiple mapping one PMD further (a page of gap, rounded up).
      offset += n + 1;
      left -= n;
    }
    // The mm maps its whole span in one mmap (generate.ts), placed as the kernel would place it.
    if (placeBelow(MMAP_BASE, (offset - 1) * PMD_SIZE, PMD_SIZE) === null) {
      throw new SynthRefusal(spec, `task ${spec.name}-${t}'s VMAs would span ${formatByteSize((offset - 1) * PMD_SIZE)}, ` +
        "past what x86-64's 128 TiB user address space holds", [{ field: "tasks", change: "raise" }]);
    }
    tasks.push({ name: `${spec.name}-${t}`, vmas, spanPmds: offset - 1, pmds });
  }
  return tasks;
}

/**
 * Walk every PMD of `task` in address order, calling `visit(spanIndex, code)`.
 * The draws come from the task's own stream, so tasks can be walked in any order.
 */
export function walkTask(
  plan: Pick<SynthPlan, "spec" | "tasks" | "odds">, task: number, code: (kind: number, state: number, variant: number) => number,
  visit: (spanIndex: number, code: number) => void,
): void {
  const spec = plan.spec;
  const rng = new Rng(spec.seed, TAG_PMD, task);
  const p = spec.population;
  const w = [p.full, p.sparse, p.mixed, p.none];
  const wSum = w[0] + w[1] + w[2] + w[3];
  const c0 = w[0] / wSum, c1 = (w[0] + w[1]) / wSum, c2 = (w[0] + w[1] + w[2]) / wSum;
  const fHuge = spec.fractions.huge;
  const variety = spec.variety === "unique" ? 0 : spec.variety;
  const cdf = plan.odds.cdf;
  for (const vma of plan.tasks[task].vmas) {
    for (let i = 0; i < vma.pmds; i++) {
      const at = vma.offset + i;
      if (rng.next() < fHuge) { visit(at, CODE_HUGE); continue; }
      const r = rng.next();
      const kind = r < c0 ? 0 : r < c1 ? 1 : r < c2 ? 2 : 3;
      if (kind === 3) { visit(at, CODE_NONE); continue; }
      const state = kind === 2 ? 0 : drawState(cdf, rng);
      const variant = kind !== 0 && variety > 0 ? rng.below(variety) : 0;
      visit(at, code(kind, state, variant));
    }
  }
}

/**
 * Plan a map: lay out the tasks, walk every PMD once to find the templates used and
 * count tables, and compute the core memory the map will take.
 */
export function planMap(spec: SynthSpec): SynthPlan {
  const tasks = layoutTasks(spec);
  const plan: SynthPlan = {
    spec, tasks, pmds: 0, vmas: 0, templates: [], templateIds: new Map(),
    counts: { none: 0, huge: 0, full: 0, sparse: 0, mixed: 0 }, tables: 0, ownPfnBlocks: 0, bytes: 0,
    odds: stateOdds(spec),
  };
  const sharedTables = new Set<number>();
  const code = (kind: number, state: number, variant: number): number => {
    const key = templateKey(kind, state, variant);
    let id = plan.templateIds.get(key);
    if (id === undefined) {
      id = plan.templates.length;
      plan.templateIds.set(key, id);
      plan.templates.push({ id, kind: PMD_KINDS[kind], state, variant });
    }
    return CODE_TEMPLATE + id;
  };
  const counts = plan.counts;
  for (let t = 0; t < tasks.length; t++) {
    walkTask(plan, t, code, (_at, c) => {
      if (c === CODE_NONE) { counts.none++; return; }
      if (c === CODE_HUGE) { counts.huge++; plan.ownPfnBlocks++; return; }
      const tpl = plan.templates[c - CODE_TEMPLATE];
      counts[tpl.kind]++;
      if (templateShared(spec, tpl.kind)) {
        if (!sharedTables.has(tpl.id)) { sharedTables.add(tpl.id); plan.tables++; }
      } else {
        plan.tables++;
      }
      if (spec.pfns === "pmd") plan.ownPfnBlocks++;
    });
    plan.pmds += tasks[t].pmds;
    plan.vmas += tasks[t].vmas.length;
  }
  // Each directory is one 64-byte-aligned allocation, and the first table after it
  // may lose up to 4 KiB to alignment.
  plan.bytes = tasks.reduce((s, t) => s + t.spanPmds * 4 + 64 + PTE_TABLE_BYTES, 0) + plan.tables * PTE_TABLE_BYTES;
  return plan;
}

/** A lower bound of a spec's core memory (its PMD directories), known without walking its PMDs. */
export function minimumBytes(spec: SynthSpec): number {
  return (spec.size / PMD_SIZE) * 4;
}
