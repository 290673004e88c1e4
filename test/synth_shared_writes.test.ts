/**
 * A system call that changes the PTEs of one PMD of a deduplicated synthetic map (alike
 * PMDs share one PTE table) changes that PMD only: the table is copied first, its
 * former table-mates scan as before, and the whole map scans exactly like its dense
 * twin (`dedup: false`) given the same steps.
 */
import { describe, expect, test } from "vitest";
import { ScanResult } from "../host/core/scan_result.ts";
import type { ScanRecord } from "../host/kernel/scan_record.ts";
import { pinUserPages } from "../host/mm/gup.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { setFolioMapcount } from "../host/mm/pte_ops.ts";
import { reclaim } from "../host/mm/reclaim.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { generateMap, type SynthMap } from "../host/synth/generate.ts";
import type { SynthSpecInput } from "../host/synth/spec.ts";
import { scanRecordsByPmd, synthKernel } from "./synth_fixture.ts";

const SPEC: SynthSpecInput = {
  seed: 5, tasks: 2, size: "256MiB", vmaSize: { dist: "fixed", size: "32MiB" },
  population: { full: 0.7, sparse: 0.2, mixed: 0.1 }, sparseNone: 40, variety: 2,
  fractions: { cold: 0.1, swapped: 0.05, lazyfree: 0.1 },
};

/** A step applied alike to both maps: `pmdNo` is a PMD of `mm` whose table the dedup map shares. */
type Step = (k: KhugepagedKernel, mm: Mm, pmdNo: number) => void;

interface Twins {
  shared: { k: KhugepagedKernel; map: SynthMap };
  dense: { k: KhugepagedKernel; map: SynthMap };
  /** The PMD the step acts on, in task 0. */
  pmdNo: number;
  /** PMDs (both tasks) whose table the target PMD shared before the step. */
  mates: string[];
}

/** The dedup map and its dense twin, and a PMD of task 0 whose table is shared and maps young private pages. */
async function twins(): Promise<Twins> {
  const sk = await synthKernel(), dk = await synthKernel();
  const shared = { k: sk, map: generateMap(sk, SPEC) };
  const dense = { k: dk, map: generateMap(dk, { ...SPEC, dedup: false }) };
  const records = scanRecordsByPmd(sk, shared.map.mms);
  const mm = shared.map.mms[0];
  let pmdNo = -1;
  for (const v of mm.vmas) {
    for (let p = v.start / PMD_SIZE; p < v.end / PMD_SIZE && pmdNo < 0; p++) {
      const t = mm.pt.table(p);
      if ((sk.tableShares.get(t) ?? 1) >= 3 && records.get(`${mm.name}:${p}`)!.result === ScanResult.SUCCEED) pmdNo = p;
    }
  }
  expect(pmdNo).toBeGreaterThan(0);
  const t = mm.pt.table(pmdNo);
  const mates: string[] = [];
  for (const m of shared.map.mms) {
    for (const v of m.vmas) {
      for (let p = v.start / PMD_SIZE; p < v.end / PMD_SIZE; p++) {
        if (!(m === mm && p === pmdNo) && m.pt.table(p) === t) mates.push(`${m.name}:${p}`);
      }
    }
  }
  expect(mates.length).toBeGreaterThanOrEqual(2);
  return { shared, dense, pmdNo, mates };
}

/** Keys whose records differ between two scans of one map. */
function changed(before: Map<string, ScanRecord>, after: Map<string, ScanRecord>): string[] {
  return [...before.keys()].filter((key) => JSON.stringify(before.get(key)) !== JSON.stringify(after.get(key)));
}

const ONE_PMD_STEPS: Array<[string, Step]> = [
  ["MADV_FREE", (k, mm, p) => madvise(k, mm, p * PMD_SIZE, PMD_SIZE, "MADV_FREE")],
  ["MADV_FREE of part of the PMD", (k, mm, p) => madvise(k, mm, p * PMD_SIZE + 64 * 4096, 128 * 4096, "MADV_FREE")],
  ["MADV_COLD", (k, mm, p) => madvise(k, mm, p * PMD_SIZE, PMD_SIZE, "MADV_COLD")],
  ["MADV_DONTNEED", (k, mm, p) => madvise(k, mm, p * PMD_SIZE, PMD_SIZE, "MADV_DONTNEED")],
  ["MADV_PAGEOUT (reclaimPte)", (k, mm, p) => madvise(k, mm, p * PMD_SIZE, PMD_SIZE, "MADV_PAGEOUT")],
  ["pinUserPages()", (k, mm, p) => pinUserPages(k, mm, p * PMD_SIZE, 8 * 4096)],
  ["setFolioMapcount()", (_k, mm, p) => {
    const u32 = mm.pt.core.u32, w = (mm.pt.table(p) >>> 2) + 2 * 3;
    setFolioMapcount(mm, p * PMD_SIZE + 3 * 4096, u32[w + 1], 0, 5);
  }],
];

describe("writes to a shared PTE table", () => {
  test.each(ONE_PMD_STEPS)("%s of one PMD changes that PMD only, as on the dense map", async (_name, step) => {
    const { shared, dense, pmdNo, mates } = await twins();
    const [sk, dk] = [shared.k, dense.k];
    const before = scanRecordsByPmd(sk, shared.map.mms);
    expect(scanRecordsByPmd(dk, dense.map.mms)).toEqual(before);
    const mm = shared.map.mms[0];
    step(sk, mm, pmdNo);
    step(dk, dense.map.mms[0], pmdNo);
    const after = scanRecordsByPmd(sk, shared.map.mms);
    expect(changed(before, after)).toEqual([`${mm.name}:${pmdNo}`]);
    for (const key of mates) expect(after.get(key)).toEqual(before.get(key));
    expect(scanRecordsByPmd(dk, dense.map.mms)).toEqual(after);
  });

  test("reclaim() over a deduplicated map leaves it scanning like the dense map reclaimed alike", async () => {
    const { shared, dense } = await twins();
    const before = scanRecordsByPmd(shared.k, shared.map.mms);
    // Synthetic pages free no physical memory, so an unreachable target walks every page.
    for (const { k } of [shared, dense]) reclaim(k, k.phys.totalPages + 1);
    const after = scanRecordsByPmd(shared.k, shared.map.mms);
    expect(changed(before, after).length).toBeGreaterThan(0);
    expect(scanRecordsByPmd(dense.k, dense.map.mms)).toEqual(after);
    expect(shared.k.vmstat.pswpout).toBe(dense.k.vmstat.pswpout);
    expect(shared.k.vmstat.pswpout).toBeGreaterThan(0);
  });
});
