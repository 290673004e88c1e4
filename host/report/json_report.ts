/** The `--json` object of `run` and `compare`: one line of JSON, the same bytes for the same scenario and seed. */
import type { CompareResult } from "../run/compare.ts";
import type { CollapseSummary, GeneratedResult, RunResult } from "../run/result.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { headline } from "./compare_table.ts";
import { roundTo } from "./format.ts";
import { wakeupsJson } from "./wakeup_table.ts";

/** What --json adds beyond the default keys. */
export interface JsonOptions {
  tool?: { name: string; version: string };
  wakeups?: boolean;
}

/** A task's or a generated mm's collapses, under its JSON keys. */
function collapseJson(c: CollapseSummary) {
  return {
    collapses: c.count,
    firstCollapseS: c.firstS === null ? null : roundTo(c.firstS, 6),
    lastCollapseS: c.lastS === null ? null : roundTo(c.lastS, 6),
    lazyfreeCollapsedKb: c.lazyfreeKb,
  };
}

/** The variant's two axes: its kernel version and the policies on top. */
function kernelJson(name: string) {
  const v = getVariant(name);
  return { version: v.version, policies: [...v.policies] };
}

/** One variant's run under the keys of `--json`'s `results.VARIANT`. */
export function variantJson(r: RunResult, o: JsonOptions = {}) {
  const tasks: Record<string, unknown> = {};
  for (const t of r.tasks) {
    const h = headline(t);
    tasks[t.name] = {
      phase: t.measurement ? "measurement" : t.perf ? "all" : null,
      accessTimeS: h ? roundTo(h.seconds, 6) : null,
      cyclesPerAccess: h ? roundTo(h.cyclesPerAccess, 4) : null,
      throughputMps: h ? roundTo(h.throughputMps, 4) : null,
      accesses: h ? h.accesses : 0,
      walksPerAccess: h ? roundTo(h.walksPerAccess, 6) : null,
      walksPerAccessStdError: h ? roundTo(h.walksPerAccessStdError, 6) : null,
      dtlbLoads: t.perf?.dtlbLoads ?? 0,
      dtlbLoadMisses: t.perf?.dtlbLoadMisses ?? 0,
      anonHugeKb: t.memory.anonHugePagesKb,
      rssKb: t.memory.rssKb,
      lazyFreeKb: t.memory.lazyFreeKb,
      swapKb: t.memory.swapKb,
      // thpmaps' counters, only when the scenario turns an mTHP size on.
      ...(t.memory.thp !== undefined ? { thp: t.memory.thp } : {}),
      smallPmdsWhenMeasured: t.smallPmdsAtMeasure,
      ...collapseJson(t.collapses),
    };
  }
  // Only a scenario with `generate:` has the key, so other scenarios' bytes stay as they were.
  return {
    kernel: kernelJson(r.variant),
    endS: roundTo(r.endS, 6),
    tasks,
    ...(r.generated !== undefined ? { generated: mapsJson(r.generated) } : {}),
    ...(r.imported !== undefined ? { imported: mapsJson(r.imported) } : {}),
    khugepaged: r.khugepaged,
    vmstat: r.vmstat,
    ...(o.wakeups ? { wakeups: wakeupsJson(r.wakeups) } : {}),
  };
}

/** A generated map's or an imported snapshot's mms, by name. */
function mapsJson(list: GeneratedResult[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const g of list) {
    out[g.name] = { initialAnonHugeKb: g.initialAnonHugePagesKb, anonHugeKb: g.anonHugePagesKb, ...collapseJson(g.collapses) };
  }
  return out;
}

/**
 * `{"tool", "scenario", "variants", "results": {VARIANT: {"kernel", "tasks": {TASK: {...}}, "khugepaged": {...}}}}`, and
 * `"generated": {MM: {...}}` beside `"tasks"` when the scenario generates a map, `"imported"` when it imports one.
 * `"khugepaged"` holds fullScans, pagesCollapsed, wakeups and `"scanResults": {RESULT: count}`,
 * the statuses of its mm_khugepaged_scan_pmd events as the variant traces them (zero counts left out).
 * When the scenario turns an mTHP size on, each task holds `"thp"`, thpmaps' counters in kB
 * (`{"anon-thp-pte-aligned-64kB": 512}`), and `"khugepaged"` holds `"collapsesByPass"`:
 * `[{"pass", "startS", "collapses": {"hugepages-64kB": 8}, "rssKb"}]`, the passes that collapsed.
 * accessTimeS, cyclesPerAccess and throughputMps are the task's measurement phase (or all
 * its accesses when it has none, as `phase` says); dTLB counts are over the whole task.
 * smallPmdsWhenMeasured counts the task's PMDs still mapped by 4 KiB pages when its
 * measurement phase began (null without one).
 * `"tool"` is `o.tool`, the program that wrote the object (the CLI: `{"name": "khugesim", "version": "0.1.0"}`), left out without it;
 * `"kernel"` is the kernel version the variant runs and the policies applied to it:
 * `{"version": "7.1", "policies": ["lazyfree-keep"]}`.
 * With `o.wakeups`, each variant also holds `"wakeups"`: khugepaged's passes (wakeup_table.ts).
 */
export function comparisonJson(c: CompareResult, o: JsonOptions = {}): string {
  const first = c.results[0];
  const results: Record<string, unknown> = {};
  for (const r of c.results) results[r.variant] = variantJson(r, o);
  return JSON.stringify({
    ...(o.tool !== undefined ? { tool: o.tool } : {}),
    scenario: c.scenario,
    seed: first?.seed,
    tlb: first?.tlb,
    costModel: first?.costModel,
    tlbMode: first?.tlbMode,
    variants: c.variants,
    results,
  }) + "\n";
}
