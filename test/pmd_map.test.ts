/**
 * The per-task PMD map the page draws (host/mm/pmd_map.ts), and the frames of it a run
 * reports with `frames` (host/run/frames.ts).
 */
import { describe, expect, test } from "vitest";
import { CoreMemory } from "../host/core/core_memory.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { mappedPmds, PMD_STATES, pmdMap, pmdMapAndFree, pmdState, type PmdState } from "../host/mm/pmd_map.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { scanResultTrace } from "../host/core/scan_result.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { createEngine, type Frame, runScenario, validateScenario } from "../host/node/mod.ts";
import { advance, boot as bootFixture, CORES } from "./khugepaged_fixture.ts";

function boot(): { k: KhugepagedKernel; mm: Mm } {
  const core = new CoreMemory({ maxBytes: 64 * 1024 * 1024 });
  const k = new KhugepagedKernel({ core, scanCore: new TsScanCore(core.memory), variant: getVariant("baseline"), memoryBytes: 1024 ** 3 });
  // Faults then map 4 KiB pages: only MADV_COLLAPSE or khugepaged make THPs.
  writeTunable(k.tunables, "enabled", "madvise");
  return { k, mm: k.createMm("task") };
}

const names = (m: Uint8Array): PmdState[] => Array.from(m, (s) => PMD_STATES[s]);

describe("pmdMap()", () => {
  test("pmdMap() shows a populated mapping as 4 KiB pages, then huge after MADV_COLLAPSE", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: 2 * PMD_SIZE, populate: true });
    expect(names(pmdMap(mm))).toEqual(["small", "small"]);
    expect(madvise(k, mm, v.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    expect(names(pmdMap(mm))).toEqual(["huge", "small"]);
  });

  test("pmdMap() shows MADV_FREE as lazy-free, on 4 KiB pages and on a whole THP", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: 2 * PMD_SIZE, populate: true });
    madvise(k, mm, v.start, PMD_SIZE, "MADV_COLLAPSE");
    madvise(k, mm, v.start, 2 * PMD_SIZE, "MADV_FREE");
    expect(names(pmdMap(mm))).toEqual(["huge-lazyfree", "lazyfree"]);
  });

  test("pmdMap() shows paged-out memory as swapped and dropped or untouched memory as empty", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: 3 * PMD_SIZE, populate: true });
    // mmap places the untouched mapping below the first one, as x86-64's top-down layout does.
    mmap(k, mm, { len: PMD_SIZE });
    madvise(k, mm, v.start, PMD_SIZE, "MADV_PAGEOUT");
    madvise(k, mm, v.start + PMD_SIZE, PMD_SIZE, "MADV_DONTNEED");
    expect(names(pmdMap(mm))).toEqual(["empty", "swapped", "empty", "small"]);
  });

  test("pmdMapAndFree() counts LazyFree and Swap as smapsRollup() does, THPs and 4 KiB pages alike", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: 4 * PMD_SIZE, populate: true });
    madvise(k, mm, v.start, PMD_SIZE, "MADV_COLLAPSE");
    madvise(k, mm, v.start, PMD_SIZE + 100 * PAGE_SIZE, "MADV_FREE");
    madvise(k, mm, v.start + 2 * PMD_SIZE, 300 * PAGE_SIZE, "MADV_PAGEOUT");
    const m = smapsRollup(mm), walked = pmdMapAndFree(mm);
    expect(m.LazyFree).toBe(2048 + 400);
    expect(m.Swap).toBe(1200);
    expect(walked).toMatchObject({ lazyFreeKb: m.LazyFree, swapKb: m.Swap });
    expect(Array.from(walked.pmds)).toEqual(Array.from(pmdMap(mm)));
  });

  test("pmdState() takes the state most of a PMD's pages are in", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: PMD_SIZE, populate: true });
    const pmd = v.start / PMD_SIZE;
    madvise(k, mm, v.start, 200 * PAGE_SIZE, "MADV_FREE");
    expect(PMD_STATES[pmdState(mm, pmd)]).toBe("small");
    madvise(k, mm, v.start + 200 * PAGE_SIZE, 100 * PAGE_SIZE, "MADV_FREE");
    expect(PMD_STATES[pmdState(mm, pmd)]).toBe("lazyfree");
  });

  test("pmdMap() draws a PMD that khugepaged collapsed partly into mTHPs as mthp, one of 4 KiB pages only as small", async () => {
    const k = await bootFixture(CORES[0], {
      variant: "7.2",
      sysfs: { enabled: "madvise", "hugepages-2048kB/enabled": "never", "hugepages-64kB/enabled": "madvise", "khugepaged/max_ptes_none": 0 },
    });
    const mm = k.createMm("t");
    const v = mmap(k, mm, { len: 2 * PMD_SIZE, align: PMD_SIZE });
    // 24 pages: one full 64 KiB window and half of the next, which stays 4 KiB pages at max_ptes_none 0.
    touch(k, mm, v.start, 24 * PAGE_SIZE, true);
    touch(k, mm, v.start + PMD_SIZE, 24 * PAGE_SIZE, true);
    expect(names(pmdMap(mm))).toEqual(["small", "small"]);
    madvise(k, mm, v.start, PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    expect(names(pmdMap(mm))).toEqual(["mthp", "small"]);
  });

  test("mappedPmds() lists every PMD a mapping overlaps, the partial ones at an unaligned mapping's ends", () => {
    const { k, mm } = boot();
    const v = mmap(k, mm, { len: 128 * 1024 * 1024, align: PAGE_SIZE, populate: true });
    expect(v.start % PMD_SIZE).not.toBe(0);
    const pmds = mappedPmds(mm);
    expect(pmds).toHaveLength(65);
    expect(pmds[0]).toBe(Math.floor(v.start / PMD_SIZE));
    expect(pmds.at(-1)).toBe(Math.floor((v.end - 1) / PMD_SIZE));
  });
});

describe("runScenario() with frames", () => {
  const scenario = validateScenario({
    name: "one-task",
    variants: ["baseline"],
    tunables: { enabled: "madvise", "khugepaged/scan_sleep_millisecs": 1000, "khugepaged/pages_to_scan": 1024 },
    durationS: 6,
    tasks: [{
      name: "t",
      vmas: [{ name: "buf", size: "8 MiB", populate: true }],
      steps: [{ do: "madvise", vma: "buf", advice: "MADV_HUGEPAGE" }, { do: "sleep", seconds: 10 }],
    }],
  }, "one-task");

  test("runScenario() with frames gives a frame after each interval's progress and the same result", async () => {
    const frames: Frame[] = [];
    const order: string[] = [];
    const watched = await runScenario(scenario, await createEngine(), {
      frames: true,
      onEvent: (ev) => {
        order.push(ev.type);
        if (ev.type === "frame") frames.push(ev.frame);
      },
    });
    expect(order.slice(0, 4)).toEqual(["start", "interval", "frame", "interval"]);
    const plain = await runScenario(scenario, await createEngine());
    expect(JSON.stringify(watched)).toBe(JSON.stringify(plain));

    expect(frames.map((f) => f.timeS)).toEqual([1, 2, 3, 4, 5, 6]);
    // Two PMDs per wake-up (1024 units, 512 per PMD in 6.18): the map fills from the left.
    const huge = frames.map((f) => names(f.tasks[0].pmds).filter((s) => s === "huge").length);
    expect(huge).toEqual([2, 4, 4, 4, 4, 4]);
    expect(frames.at(-1)!.tasks[0]).toMatchObject({ name: "t", alive: true, anonHugePagesKb: 4 * 2048 });
  });

  test("runScenario()'s frames carry each PMD's last khugepaged status, the PMDs' addresses and the cursor", async () => {
    const frames: Frame[] = [];
    await runScenario(scenario, await createEngine(), {
      frames: true,
      onEvent: (ev) => void (ev.type === "frame" && frames.push(ev.frame)),
    });
    const [first, second] = frames.map((f) => f.tasks[0]);
    const [base, count] = first.pmdRuns;
    expect(first.pmdRuns).toHaveLength(2);
    expect(count).toBe(4);
    const status = (t: typeof first) => Array.from(t.lastScan, (r) => (r === 0 ? null : scanResultTrace(r - 1)));
    // One wake-up scans (and collapses) two PMDs, the next the other two; the cursor waits after the last.
    expect(status(first)).toEqual(["succeeded", "succeeded", null, null]);
    expect(frames[0].cursor).toEqual({ task: "t", address: (base + 2) * PMD_SIZE });
    expect(status(second)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    // Later passes find the THPs in place.
    expect(status(frames.at(-1)!.tasks[0])).toContain("page_pmd_mapped");
  });
});
