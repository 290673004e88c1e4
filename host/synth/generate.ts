/**
 * Writes a planned synthetic map into a kernel: one mm per task, its VMAs, and PTE
 * words written straight into core memory, with no physical page allocated. PMDs of
 * one template share one PTE table (PageTable.shareTable), so the scan reads real
 * PTEs while a terabyte of alike PMDs costs a directory and a few tables; a later
 * write copies the table first (PageTable.writableTable).
 *
 * "Alike" means the same template, pfns included: the PMDs of a template map the same
 * synthetic pfns, so their scan records (and the trace's scan_pfn) carry the template's
 * pfn, not one of their own. Scan results and counters never depend on a pfn; with
 * `pfns: "pmd"` every PMD maps its own pfns and gets its own table (dense, as big as a
 * real page table). Synthetic pfns lie above any PhysMem the model builds
 * (SYNTH_PFN_BASE): no physical page backs them.
 */
import { type CoreMemory, MAX_CORE_BYTES } from "../core/core_memory.ts";
import { CORE_RESERVED_BYTES, PMD, PMD_SIZE, PTE_TABLE_BYTES, RECORD, VMA } from "../core/layout.ts";
import { RING_RECORDS } from "../kernel/scan_record.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { fillTable } from "./pmd_class.ts";
import {
  CODE_HUGE, CODE_NONE, CODE_TEMPLATE, knownTemplateCode, minimumBytes, planMap, SYNTH_PFN_BASE, SYNTH_PFN_BLOCKS, type SynthPlan,
  SynthRefusal,
  TAG_OWN, TAG_TEMPLATE, templateShared, walkTask,
} from "./plan.ts";
import { Rng } from "./rng.ts";
import { parseSynthSpec, type SynthSpec, type SynthSpecInput } from "./spec.ts";

/** A generated map: its plan, its mms and what it cost. */
export interface SynthMap {
  spec: SynthSpec;
  plan: SynthPlan;
  mms: Mm[];
  stats: SynthStats;
}

export interface SynthStats {
  /** Mapped bytes and PMDs. */
  mappedBytes: number;
  pmds: number;
  vmas: number;
  hugePmds: number;
  nonePmds: number;
  /** PMDs that point at a PTE table, and the distinct tables they point at. */
  tablePmds: number;
  tables: number;
  /** Core memory the map took (directories and tables). */
  coreBytes: number;
  /** coreBytes per GiB mapped. */
  bytesPerMappedGiB: number;
  /** Synthetic pfns used: [first, end). */
  pfnFirst: number;
  pfnEnd: number;
}

/** The core memory a map is generated into: its limit and the bytes already used. */
export type CoreSpace = Pick<CoreMemory, "maxBytes" | "usedBytes">;

/**
 * The core memory of a run on a default engine (4 GiB, as the CLI's `run` and the web
 * page create it) when its map is generated: a fresh Kernel has used the reserved bytes
 * and its scan record ring. The scenario loader checks a `generate:` map against it.
 */
export const DEFAULT_RUN_CORE: CoreSpace = {
  maxBytes: MAX_CORE_BYTES,
  usedBytes: CORE_RESERVED_BYTES + RING_RECORDS * RECORD.BYTES,
};

/**
 * Refuse a map that cannot fit, before anything is allocated: the RangeError names the
 * bytes the map needs and the core memory's limit.
 */
function refuseIfTooLarge(core: CoreSpace, spec: SynthSpec, bytes: number, exact: boolean): void {
  const free = core.maxBytes - core.usedBytes;
  if (bytes > free) {
    throw new SynthRefusal(spec, `it needs ${exact ? "" : "at least "}${bytes} bytes ` +
      `of core memory, and ${free} bytes of the ${core.maxBytes}-byte limit are free`);
  }
}

/**
 * A refusal of generateMap() or planFitting() as the reason a scenario's `generate:` is
 * refused for: "cannot be built: it needs …" (the field path names what is refused).
 */
export function generateRefusal(err: RangeError): string {
  return `cannot be built: ${err instanceof SynthRefusal ? err.reason : err.message}`;
}

/**
 * Plan `spec`, or refuse it with a RangeError when it cannot fit `core` or the synthetic
 * pfn space. A map whose directories alone cannot fit is refused before its PMDs are walked.
 */
export function planFitting(spec: SynthSpec, core: CoreSpace): SynthPlan {
  refuseIfTooLarge(core, spec, minimumBytes(spec), false);
  const plan = planMap(spec);
  refuseIfTooLarge(core, spec, plan.bytes, true);
  if (plan.templates.length + plan.ownPfnBlocks > SYNTH_PFN_BLOCKS) {
    throw new SynthRefusal(spec, `it needs ${plan.templates.length + plan.ownPfnBlocks} ` +
      `2 MiB blocks of synthetic pfns, the synthetic pfn space holds ${SYNTH_PFN_BLOCKS}`);
  }
  return plan;
}

/**
 * Generate a synthetic address space into `k`: plan it, refuse it if it cannot fit,
 * then create its mms and write their page tables. The mms are registered with
 * khugepaged when their VMAs are eligible.
 *
 * @example
 * const map = generateMap(kernel, { preset: "realistic", size: "1TiB", seed: 7 });
 * console.log(map.stats.bytesPerMappedGiB);
 */
export function generateMap(k: Kernel, input: SynthSpecInput): SynthMap {
  const spec = parseSynthSpec(input);
  const plan = planFitting(spec, k.core);
  const before = k.core.usedBytes;
  const mms: Mm[] = [];
  const templateTables = new Uint32Array(plan.templates.length);
  let ownBlock = plan.templates.length;
  let globalPmd = 0;
  const templateCode = knownTemplateCode(plan);
  const flags = VMA.VM_WRITE | (spec.madvHugepage ? VMA.VM_HUGEPAGE : 0);
  for (let t = 0; t < plan.tasks.length; t++) {
    const task = plan.tasks[t];
    const mm = k.createMm(task.name);
    mms.push(mm);
    // One placement for the whole span: a single directory, and later mmaps go above it.
    const start = mm.placeMapping(task.spanPmds * PMD_SIZE, PMD_SIZE);
    const base = start / PMD_SIZE;
    for (const v of task.vmas) {
      mm.insertVma({ start: start + v.offset * PMD_SIZE, end: start + (v.offset + v.pmds) * PMD_SIZE, flags, anonVma: true });
    }
    const pt = mm.pt;
    walkTask(plan, t, templateCode, (at, code) => {
      const pmdNo = base + at;
      const g = globalPmd++;
      if (code === CODE_NONE) return;
      if (code === CODE_HUGE) {
        const head = SYNTH_PFN_BASE + ownBlock++ * 512;
        pt.setEntry(pmdNo, (PMD.HUGE | (head >>> 9)) >>> 0);
        mm.huge.set(pmdNo, { head, young: true, dirty: true, swapbacked: true });
        return;
      }
      const id = code - CODE_TEMPLATE;
      const tpl = plan.templates[id];
      const shared = templateShared(spec, tpl.kind);
      if (shared && templateTables[id] !== 0) {
        pt.shareTable(pmdNo, templateTables[id]);
        return;
      }
      // A shared template's first table, or a table of its own: own random contents
      // ("unique"), own pfns ("pmd"), or no dedup. A shared one has neither.
      const ownContent = spec.variety === "unique" && tpl.kind !== "full";
      const pfnBase = SYNTH_PFN_BASE + (spec.pfns === "pmd" ? ownBlock++ : id) * 512;
      const table = k.core.allocTable();
      fillTable(k.core.u32, table, tpl.kind, tpl.state,
        ownContent ? new Rng(spec.seed, TAG_OWN, g) : new Rng(spec.seed, TAG_TEMPLATE, id),
        pfnBase, spec.sparseNone, plan.odds);
      if (shared) templateTables[id] = table;
      pt.setEntry(pmdNo, table / PTE_TABLE_BYTES);
    });
    for (const v of mm.vmas) k.khugepagedEnterVma(mm, v);
  }
  const coreBytes = k.core.usedBytes - before;
  return {
    spec, plan, mms,
    stats: {
      mappedBytes: spec.size, pmds: plan.pmds, vmas: plan.vmas, hugePmds: plan.counts.huge, nonePmds: plan.counts.none,
      tablePmds: plan.counts.full + plan.counts.sparse + plan.counts.mixed, tables: plan.tables,
      coreBytes, bytesPerMappedGiB: coreBytes / (spec.size / 1024 ** 3),
      pfnFirst: SYNTH_PFN_BASE, pfnEnd: SYNTH_PFN_BASE + ownBlock * 512,
    },
  };
}
