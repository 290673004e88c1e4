/**
 * fullScan() predicts what one full khugepaged scan does: its results, its progress
 * and its mm calls agree with the daemon model's own run (with pages_to_scan lifted),
 * and its pass count with the daemon's wake-ups at the default budget.
 */
import { describe, expect, test } from "vitest";
import { VMA } from "../host/core/layout.ts";
import { scanResultName, ScanResult } from "../host/core/scan_result.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { fullScan } from "../host/fullscan/full_scan.ts";
import { type FullScanSummary, walkFullScan } from "../host/fullscan/summary.ts";
import { buildScanPlan } from "../host/fullscan/scan_plan.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { NS_PER_MS } from "../host/kernel/event_queue.ts";
import { generateMap } from "../host/synth/generate.ts";
import { synthKernel } from "./synth_fixture.ts";

const VARIANTS = ["baseline", "lazyfree-skip", "lazyfree-keep"] as const;
const UINT_MAX = 0xffffffff;

/** The daemon's own account of one full scan: statuses of mm_khugepaged_scan_pmd, and its mm calls. */
function daemonFullScan(k: KhugepagedKernel): { statuses: Record<string, number>; progress: number; calls: number } {
  writeTunable(k.tunables, "khugepaged/pages_to_scan", UINT_MAX);
  k.tracer.enabled = true;
  k.clock.runUntil(k.now);
  expect(k.khugepaged.fullScans).toBe(1);
  const statuses: Record<string, number> = {};
  let progress = 0, calls = 0;
  for (const e of k.tracer.events) {
    const f = Object.fromEntries(e.fields);
    if (e.event === "mm_khugepaged_scan_pmd") statuses[f.status as string] = (statuses[f.status as string] ?? 0) + 1;
    if (e.event === "mm_khugepaged_scan") { progress += f.progress as number; calls++; }
  }
  return { statuses, progress, calls };
}

/** A summary's results as the variant's trace strings, SCAN_SUCCEED read as a successful collapse. */
function asStatuses(s: FullScanSummary): Record<string, number> {
  const v = getVariant(s.variant);
  return Object.fromEntries(Object.entries(s.results).map(([name, n]) => [v.traceString(ScanResult[name.slice(5) as keyof typeof ScanResult]), n]));
}

/** Wake-ups the daemon takes to finish its first full scan at the default budget. */
function daemonPasses(k: KhugepagedKernel): number {
  while (k.khugepaged.fullScans === 0) k.clock.runUntil(k.now + k.tunables.khugepaged.scan_sleep_millisecs * NS_PER_MS);
  return k.khugepaged.wakeups;
}

/** A synthetic map with no collapse candidate (nothing is young and private), an ineligible VMA and a disabled mm. */
async function syntheticKernel(variant: string): Promise<KhugepagedKernel> {
  const k = await synthKernel(64 * 1024 * 1024, { variantName: variant });
  const map = generateMap(k, {
    seed: 21, tasks: 3, size: "2GiB", vmaSize: { dist: "lognormal", median: "32MiB", sigma: 1 },
    population: { full: 0.7, sparse: 0.2, none: 0.1 }, sparseNone: 100,
    fractions: { huge: 0.2, cold: 0.4, swapped: 0.1, shared: 0.1, lazyfree: 0.2 },
  });
  map.mms[1].vmas[2].flags |= VMA.VM_NOHUGEPAGE;
  map.mms[2].thpDisabled = true;
  return k;
}

/** A map the model's own system calls made (real pages), with collapse candidates among the rest. */
async function modelKernel(variant: string): Promise<KhugepagedKernel> {
  const k = await synthKernel(64 * 1024 * 1024, { variantName: variant, memoryBytes: 256 * 1024 * 1024 });
  // Fault 4 KiB pages first, then let khugepaged in.
  writeTunable(k.tunables, "enabled", "never");
  const a = k.createMm("a"), b = k.createMm("b");
  const va = mmap(k, a, { len: 20 * PMD_SIZE, populate: true });
  const vb = mmap(k, b, { len: 8 * PMD_SIZE });
  touch(k, b, vb.start, 3 * PMD_SIZE + PMD_SIZE / 2, true);
  writeTunable(k.tunables, "enabled", "always");
  madvise(k, a, va.start, va.end - va.start, "MADV_HUGEPAGE");
  madvise(k, b, vb.start, vb.end - vb.start, "MADV_HUGEPAGE");
  madvise(k, a, va.start + 2 * PMD_SIZE, 3 * PMD_SIZE, "MADV_FREE");
  madvise(k, a, va.start + 6 * PMD_SIZE, 2 * PMD_SIZE, "MADV_COLD");
  madvise(k, a, va.start + 10 * PMD_SIZE, 2 * PMD_SIZE, "MADV_NOHUGEPAGE");
  return k;
}

describe("fullScan() against the daemon", () => {
  test.each(VARIANTS)("fullScan() matches the daemon's full scan of a synthetic map (%s)", async (variant) => {
    const k = await syntheticKernel(variant);
    const [s] = fullScan(k, { configs: [{ variant }] }).summaries;
    expect(s.results.SCAN_SUCCEED).toBeUndefined();
    const d = daemonFullScan(k);
    expect(d.statuses).toEqual(asStatuses(s));
    if (getVariant(variant).scanTraceEvent) expect({ progress: d.progress, calls: d.calls }).toEqual({ progress: s.progress, calls: s.calls });
    expect(daemonPasses(await syntheticKernel(variant))).toBe(s.passes);
  });

  test.each(VARIANTS)("fullScan() predicts the daemon's full scan of a map with collapses (%s)", async (variant) => {
    const k = await modelKernel(variant);
    const [s] = fullScan(k, { configs: [{ variant }] }).summaries;
    expect(s.results.SCAN_SUCCEED).toBeGreaterThan(5);
    const d = daemonFullScan(k);
    // Every candidate collapsed: the daemon's "succeeded" is the collapse's own result.
    expect(k.khugepaged.pagesCollapsed).toBe(s.results.SCAN_SUCCEED);
    expect(d.statuses).toEqual(asStatuses(s));
    if (getVariant(variant).scanTraceEvent) expect({ progress: d.progress, calls: d.calls }).toEqual({ progress: s.progress, calls: s.calls });
    expect(daemonPasses(await modelKernel(variant))).toBe(s.passes);
  });
});

describe("the daemon with tracing off", () => {
  test.each(VARIANTS)("the daemon leaves the same state with tracing off as with it on (%s)", async (variant) => {
    const state = async (trace: boolean) => {
      const k = await modelKernel(variant);
      k.tracer.enabled = trace;
      k.clock.runUntil(k.now + 300_000 * NS_PER_MS);
      return {
        vmstat: { ...k.vmstat }, collapsed: k.khugepaged.pagesCollapsed, fullScans: k.khugepaged.fullScans,
        wakeups: k.khugepaged.wakeups, cursor: k.khugepaged.cursor.address, free: k.phys.freePages,
        huge: k.mms.map((mm) => [...mm.huge.keys()]), memory: Buffer.from(k.core.u32.slice(0, k.core.usedBytes >>> 2).buffer),
      };
    };
    const [on, off] = [await state(true), await state(false)];
    expect(on.collapsed).toBeGreaterThan(0);
    const { memory: mOn, ...restOn } = on, { memory: mOff, ...restOff } = off;
    expect(restOff).toEqual(restOn);
    expect(Buffer.compare(mOff, mOn)).toBe(0);
  });
});

describe("fullScan() summaries", () => {
  test.each([["synthetic", syntheticKernel], ["model-made", modelKernel]] as const)(
    "fullScan()'s closed form equals a walk of the %s map's outcomes with pages_to_scan lifted",
    async (_name, make) => {
      const k = await make("baseline");
      const r = fullScan(k, { keepOutcomes: true });
      const plan = buildScanPlan(k);
      r.summaries.forEach((s, i) => {
        const w = walkFullScan(plan, r.outcomes![r.scanOf[i]], getVariant(s.variant), Infinity);
        expect({ progress: s.progress, calls: s.calls, ptesExamined: s.ptesExamined, passes: 1 })
          .toEqual({ progress: w.progress, calls: w.calls, ptesExamined: w.examined, passes: w.passes });
        const counts = Object.fromEntries([...w.counts].map((n, code) => [scanResultName(code), n]).filter(([, n]) => n !== 0));
        expect(s.results).toEqual(counts);
      });
    },
  );

  test("fullScan() charges the baseline 512 per PMD and 7.1 the PTEs it examined", async () => {
    const k = await syntheticKernel("baseline");
    const r = fullScan(k);
    const [base, skip, keep] = r.summaries;
    const mmsAndVmas = base.calls + r.ineligibleVmas;
    expect(base.progress).toBe(r.pmds * 512 + mmsAndVmas);
    const pmdLevel = (s: FullScanSummary) => (s.results.SCAN_PMD_MAPPED ?? 0) + (s.results.SCAN_NO_PTE_TABLE ?? 0);
    expect(keep.progress).toBe(keep.ptesExamined + pmdLevel(keep) + mmsAndVmas);
    expect(skip.progress).toBe(skip.ptesExamined + pmdLevel(skip) + mmsAndVmas);
    expect(skip.results.SCAN_PAGE_LAZYFREE).toBeGreaterThan(0);
    expect(skip.progress).toBeLessThan(keep.progress);
    expect(r.scans.length).toBe(2);
    expect(base.passes).toBe(Math.ceil(base.progress / 4096));
    expect(base.sleepSeconds).toBe((base.passes - 1) * 10);
    expect(Object.keys(base.results)).toEqual(Object.keys(base.results).sort((x, y) =>
      ScanResult[x.slice(5) as keyof typeof ScanResult] - ScanResult[y.slice(5) as keyof typeof ScanResult]));
    expect(scanResultName(ScanResult.SUCCEED)).toBe("SCAN_SUCCEED");
  });
});
