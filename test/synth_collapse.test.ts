/**
 * khugepaged collapses the PMDs of a synthetic map: the old pages' synthetic pfns are
 * not PhysMem's, so freeing them is a no-op, and the daemon's collapses are the ones
 * fullScan() predicts.
 */
import { describe, expect, test } from "vitest";
import { fullScan } from "../host/fullscan/full_scan.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import { PhysMem } from "../host/mm/phys_mem.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { NS_PER_MS } from "../host/kernel/event_queue.ts";
import { generateMap } from "../host/synth/generate.ts";
import { SYNTH_PFN_BASE } from "../host/synth/plan.ts";
import { synthKernel } from "./synth_fixture.ts";

describe("PhysMem and pfns it does not back", () => {
  test("PhysMem.freePage(), freeHuge() and splitHuge() ignore a pfn at or above totalPages", () => {
    const phys = new PhysMem({ totalBytes: 64 * 1024 * 1024, fragmentation: 0, seed: 1 });
    const [free, blocks] = [phys.freePages, phys.freeHugeBlocks];
    for (const pfn of [phys.totalPages, SYNTH_PFN_BASE, SYNTH_PFN_BASE + 513]) {
      phys.freePage(pfn);
      phys.splitHuge(pfn - (pfn % 512));
      phys.freeHuge(pfn - (pfn % 512));
    }
    expect([phys.freePages, phys.freeHugeBlocks]).toEqual([free, blocks]);
    expect(phys.allocHuge()).toBeGreaterThan(0);
  });

  test("PhysMem.freePage() still refuses a pfn of its own block that holds no base pages", () => {
    const phys = new PhysMem({ totalBytes: 64 * 1024 * 1024, fragmentation: 0, seed: 1 });
    expect(() => phys.freePage(phys.totalPages - 1)).toThrow(/Cannot free pfn 0x3fff: its block holds no base pages/);
  });
});

describe("khugepaged over a synthetic map", () => {
  test("the daemon collapses every full young PMD of a 64 MiB synthetic map, as fullScan() predicts", async () => {
    const k = await synthKernel(64 * 1024 * 1024, { memoryBytes: 256 * 1024 * 1024 });
    writeTunable(k.tunables, "enabled", "madvise");
    const map = generateMap(k, {
      seed: 9, tasks: 2, size: "64MiB", vmaSize: { dist: "fixed", size: "8MiB" }, madvHugepage: true,
    });
    const [s] = fullScan(k, { configs: [{ variant: "baseline" }] }).summaries;
    expect(s.results).toEqual({ SCAN_SUCCEED: map.stats.pmds });
    const free = k.phys.freePages;
    k.clock.runUntil(k.now + 600_000 * NS_PER_MS);
    expect(k.khugepaged.pagesCollapsed).toBe(s.results.SCAN_SUCCEED);
    expect(k.vmstat.thp_collapse_alloc).toBe(map.stats.pmds);
    // Each collapse took a real 2 MiB block; the synthetic pages it replaced gave none back.
    expect(free - k.phys.freePages).toBe(map.stats.pmds * 512);
    const anonHuge = map.mms.reduce((sum, mm) => sum + smapsRollup(mm).AnonHugePages, 0);
    expect(anonHuge).toBe(64 * 1024);
  });
});
