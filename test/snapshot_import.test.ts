/**
 * A snapshot as mms of the simulated kernel: alike PMDs share a PTE table, address gaps
 * shrink while PMD offsets stay, a snapshot too large for the core memory is refused
 * before anything is allocated, and a simulated mm read back as a snapshot imports to
 * the PTEs the scan read before.
 */
import { describe, expect, test } from "vitest";
import { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import { pagePteLo } from "../host/snapshot/page_pte.ts";
import { importSnapshot, ImportRefusal } from "../host/snapshot/import.ts";
import { mmSnapshotProcess, SIMULATED_SOURCES } from "../host/snapshot/mm_snapshot.ts";
import { PAGE } from "../host/snapshot/snapshot.ts";
import { runScenario } from "../host/run/runner.ts";
import { tsEngine } from "../host/run/engine.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { anonVma, snapshotOf } from "./snapshot_fixture.ts";
import { scanRecordsByPmd, synthKernel } from "./synth_fixture.ts";

const BASE = 0x7f0000000000;
const WRITTEN = PAGE.PRESENT | PAGE.ANON | PAGE.SWAPBACKED | PAGE.LRU | PAGE.EXCLUSIVE;
const LAZY = PAGE.PRESENT | PAGE.ANON | PAGE.LRU | PAGE.EXCLUSIVE;

describe("importSnapshot()", () => {
  test("points alike PMDs at one PTE table and gives a PMD of other pages its own", async () => {
    const flags = new Array(8 * 512).fill(WRITTEN);
    for (let i = 7 * 512; i < 8 * 512; i += 2) flags[i] = LAZY;
    const k = await synthKernel(64 << 20);
    const [{ mm }] = importSnapshot(k, snapshotOf([{ pid: 1, comm: "a", thpDisabled: false, vmas: [anonVma(BASE, flags)] }]));
    const first = BASE / (2 << 20);
    const tables = Array.from({ length: 8 }, (_, i) => mm.pt.table(first + i));
    expect(new Set(tables.slice(0, 7)).size).toBe(1);
    expect(tables[7]).not.toBe(tables[0]);
    expect(tables.every((t) => t !== 0)).toBe(true);
  });

  test("shrinks a gap of many empty PMDs to one and keeps each VMA's offset within its PMD", async () => {
    const k = await synthKernel(64 << 20);
    const far = BASE + 2 ** 40 + 0x5000;
    const [{ mm, vmas }] = importSnapshot(k, snapshotOf([{ pid: 1, comm: "a", thpDisabled: false,
      vmas: [anonVma(BASE, [WRITTEN]), anonVma(far, [WRITTEN, WRITTEN])] }]));
    expect(vmas[0].start).toBe(BASE);
    expect(vmas[1].start % (2 << 20)).toBe(far % (2 << 20));
    expect(Math.floor(vmas[1].start / (2 << 20)) - Math.floor(vmas[0].start / (2 << 20))).toBe(2);
    expect(mm.vmas.map((v) => v.end - v.start)).toEqual([4096, 8192]);
  });

  test("maps a whole PMD-mapped THP with a huge PMD", async () => {
    const k = await synthKernel(64 << 20);
    const flags = new Array(512).fill(WRITTEN | PAGE.PMD_MAPPED | PAGE.ALIGNED);
    const [{ mm }] = importSnapshot(k, snapshotOf([{ pid: 1, comm: "a", thpDisabled: false, vmas: [anonVma(BASE, flags)] }]));
    expect((mm.pt.entry(BASE / (2 << 20)) & PMD.HUGE) !== 0).toBe(true);
    expect(mm.huge.size).toBe(1);
  });

  test("refuses a snapshot larger than the core memory before allocating anything", async () => {
    const k = await synthKernel(1 << 20);
    const before = k.core.usedBytes;
    // 512 PMDs each with pages of its own pattern: 512 tables, 2 MiB of core memory.
    const flags = Array.from({ length: 512 * 512 }, (_, i) => (i % 512 === Math.floor(i / 512) ? LAZY : WRITTEN));
    const s = snapshotOf([{ pid: 1, comm: "a", thpDisabled: false, vmas: [anonVma(BASE, flags)] }]);
    expect(() => importSnapshot(k, s)).toThrow(ImportRefusal);
    expect(() => importSnapshot(k, s)).toThrow(/needs up to \d+ bytes of core memory/);
    expect(k.core.usedBytes).toBe(before);
    expect(k.mms.length).toBe(0);
    // Through a run, the refusal names the scenario's import field.
    const scenario = { ...validateScenario({ name: "big", durationS: 10, import: "big.khs" }), imported: s };
    await expect(runScenario(scenario, tsEngine(new CoreMemory({ maxBytes: 1 << 20 })))).rejects
      .toThrow(/^Cannot run scenario "big": import cannot be imported: it needs up to \d+ bytes of core memory/);
  });
});

describe("pagePteLo()", () => {
  test("a page shared after fork is write-protected and mapped twice; the zero page and swap entries carry no folio", () => {
    const shared = pagePteLo(PAGE.PRESENT | PAGE.ANON | PAGE.SWAPBACKED, 0, true, SIMULATED_SOURCES);
    const own = pagePteLo(WRITTEN, 0, true, SIMULATED_SOURCES);
    expect(shared & 8).toBe(0);
    expect(own & 8).toBe(8);
    expect(pagePteLo(PAGE.PRESENT | PAGE.ZERO, 0, true, SIMULATED_SOURCES)).toBe(1 | (1 << 6));
    expect(pagePteLo(PAGE.SWAP, 0, true, SIMULATED_SOURCES)).toBe(1 << 5);
  });
});

describe("mmSnapshotProcess()", () => {
  test("a run's tasks read back as a snapshot import to PTEs the scan decides alike (the writable count aside)", async () => {
    const engine = tsEngine();
    let ran: KhugepagedKernel | undefined;
    // THPs, small pages, lazy-free, zero-page and forked (shared, write-protected) memory.
    const scenario = validateScenario({
      name: "mixed", durationS: 1, tunables: { enabled: "madvise" },
      tasks: [{ name: "t", vmas: [{ name: "b", size: "16 MiB" }], steps: [
        { do: "touch", vma: "b", offset: 0, length: 4 << 20, write: false },
        { do: "touch", vma: "b", offset: 4 << 20, length: 8 << 20 },
        { do: "madvise", vma: "b", offset: 6 << 20, length: 2 << 20, advice: "MADV_FREE" },
        { do: "fork", child: "c", steps: [{ do: "sleep", seconds: 5 }] },
        { do: "madvise", vma: "b", offset: 12 << 20, length: 4 << 20, advice: "MADV_HUGEPAGE" },
        { do: "touch", vma: "b", offset: 8 << 20, length: 8 << 20 },
      ] }],
    });
    const r = await runScenario(scenario, engine, { variant: "lazyfree-skip", trace: false, onEvent: (e) => { if (e.type === "start") ran = e.kernel; } });
    const tasks = ran!.mms.filter((mm) => r.tasks.some((t) => t.pid === mm.id));
    const fresh = await synthKernel(512 << 20, { kind: "ts" });
    const imported = importSnapshot(fresh, { ...snapshotOf(tasks.map(mmSnapshotProcess)), sources: SIMULATED_SOURCES });
    // pfns are the import's own; the write bit is not in /proc, and an exclusive page
    // whose sharer has since copied it stays write-protected (page_pte.ts infers it set).
    const strip = (recs: Map<string, { pfn: number; writable: number }>) =>
      [...recs].map(([key, rec]) => [key.replace(/^[^:]*/, ""), { ...rec, pfn: 0, writable: 0 }]);
    for (let i = 0; i < tasks.length; i++) {
      expect(imported[i].mm.vmas).toEqual(tasks[i].vmas);
      expect(strip(scanRecordsByPmd(fresh, [imported[i].mm]))).toEqual(strip(scanRecordsByPmd(ran!, [tasks[i]])));
    }
  });
});
