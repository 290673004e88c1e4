/**
 * Frames kept up to date from page-table change notices (host/run/task_map.ts) against
 * the whole walk they replace: at every frame of every preset under each of its variants,
 * the maps rebuilt from `frames: "changes"` and the maps of `frames: true` equal
 * pmdMapAndFree() and the scan log of the kernel as it is then. A write path that changed a
 * PMD without telling the page table's listener would leave a stale PMD here.
 */
import { describe, expect, test } from "vitest";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import type { Mm } from "../host/mm/mm.ts";
import { mappedPmdRuns, pmdMapAndFree } from "../host/mm/pmd_map.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { createEngine, type Engine, type Frame, type FrameChanges, loadPreset, type TaskChanges, type TaskFrame, PRESETS, runScenario, validateScenario } from "../host/node/mod.ts";
import type { Scenario } from "../host/scenario/scenario_schema.ts";
import type { VariantName } from "../host/kernel/variants/mod.ts";

/** The kernel's map of `mm` now, walked whole, with khugepaged's last status of each PMD from `log`. */
function walked(mm: Mm, log: Map<number, number>) {
  const runs = mappedPmdRuns(mm), { pmds, lazyFreeKb, swapKb } = pmdMapAndFree(mm);
  const lastScan = new Uint8Array(pmds.length);
  for (let r = 0, i = 0; r < runs.length; i += runs[r + 1], r += 2) {
    for (let j = 0; j < runs[r + 1]; j++) lastScan[i + j] = (log.get(runs[r] + j) ?? -1) + 1;
  }
  return { runs, pmds: Array.from(pmds), lastScan: Array.from(lastScan), lazyFreeKb, swapKb };
}

/**
 * Run `scenario` under `variant` with frames of kind `kind`; at each, compare every task's
 * map (rebuilt from changes, or as given) with the whole walk. Returns the frames seen.
 */
async function checkFrames(
  scenario: Scenario, variant: VariantName, kind: true | "changes", engine: Engine,
): Promise<{ frames: number; changed: number }> {
  let k: KhugepagedKernel | undefined;
  const logs = new Map<Mm, Map<number, number>>();
  const kept = new Map<string, { pmds: number[]; lastScan: number[] }>();
  let frames = 0, changedSeen = 0;
  const compare = (frame: Frame | FrameChanges) => {
    frames++;
    expect(frame.tasks.map((t) => t.name)).toEqual(k!.mms.map((mm) => mm.name));
    frame.tasks.forEach((t: TaskFrame | TaskChanges, i) => {
      const want = walked(k!.mms[i], logs.get(k!.mms[i]) ?? new Map());
      let got: { pmds: number[]; lastScan: number[] };
      if (kind === "changes") {
        const c = t as TaskChanges;
        let map = kept.get(t.name);
        if (c.at === null || !map) {
          expect(c.at, `${t.name}'s first frame is whole`).toBeNull();
          map = { pmds: Array.from(c.pmds), lastScan: Array.from(c.lastScan) };
          kept.set(t.name, map);
        } else {
          changedSeen += c.at.length;
          c.at.forEach((at, j) => {
            map!.pmds[at] = c.pmds[j];
            map!.lastScan[at] = c.lastScan[j];
          });
        }
        expect(c.length).toBe(map.pmds.length);
        got = map;
      } else {
        got = { pmds: Array.from(t.pmds), lastScan: Array.from(t.lastScan) };
      }
      // One string each (expect() per frame would take most of the test's time).
      const seen = JSON.stringify([t.pmdRuns, got.pmds, got.lastScan, t.lazyFreeKb, t.swapKb]);
      const walk = JSON.stringify([want.runs, want.pmds, want.lastScan, want.lazyFreeKb, want.swapKb]);
      if (seen !== walk) expect(seen, `${scenario.name} ${variant} ${t.name} at ${frame.timeS} s`).toBe(walk);
    });
  };
  await runScenario(scenario, engine, {
    variant, frames: kind, tlbMode: "sample", trace: false,
    onEvent: (e) => {
      if (e.type === "start") {
        k = e.kernel;
        k.khugepaged.events.on("scan_pmd", (s) => {
          if (!logs.has(s.mm)) logs.set(s.mm, new Map());
          logs.get(s.mm)!.set(Math.floor(s.address / PMD_SIZE), s.result);
        });
      }
      if (e.type === "frame" || e.type === "changes") compare(e.frame);
    },
  });
  return { frames, changed: changedSeen };
}

describe("frames kept from change notices", () => {
  // hot1-hot2 is the seed without its cold task; the seed runs under its first variant only (its
  // variants differ in khugepaged's choices, not in how PMDs change), to keep the unit tier short.
  const small = PRESETS.filter((p) => !p.name.startsWith("synthetic") && p.name !== "hot1-hot2");

  test.each(small.map((p) => p.name))("%s: every frame's maps rebuilt from changes equal the whole walk", async (name) => {
    const engine = await createEngine();
    const scenario = loadPreset(name), mark = engine.memory.usedBytes;
    for (const variant of name === "hot1-cold-hot2" ? scenario.variants.slice(0, 1) : scenario.variants) {
      const { frames, changed } = await checkFrames(scenario, variant as VariantName, "changes", engine);
      expect(frames).toBeGreaterThan(0);
      // The seed's tasks fault, MADV_FREE, write again and are collapsed after their first frame.
      if (name === "hot1-cold-hot2") expect(changed).toBeGreaterThan(0);
      engine.memory.rewind(mark);
    }
  }, 120_000);

  test("frames: true gives the whole walk's maps at every frame of a run that swaps out", async () => {
    const scenario = loadPreset("scan-exceed-swap-pte");
    expect((await checkFrames(scenario, scenario.variants[0] as VariantName, true, await createEngine())).frames).toBeGreaterThan(0);
  }, 120_000);

  test("a generated map with lazy-free, swapped and shared memory keeps its changes through collapses", async () => {
    const scenario = validateScenario({
      name: "synthetic-small", variants: ["baseline", "lazyfree-skip"], seed: 3, durationS: 20, intervalS: 2,
      tunables: { "khugepaged/scan_sleep_millisecs": 100 },
      memory: { totalBytes: "1 GiB", fragmentation: 0 },
      generate: { preset: "realistic", size: "2GiB", tasks: 3 },
      tasks: [],
    }, "synthetic-small");
    const engine = await createEngine(), mark = engine.memory.usedBytes;
    for (const variant of ["baseline", "lazyfree-skip"] as const) {
      const { frames, changed } = await checkFrames(scenario, variant, "changes", engine);
      expect(frames).toBe(10);
      // Maps that never changed after their first frame would not test the changes.
      expect(changed).toBeGreaterThan(0);
      engine.memory.rewind(mark);
    }
  }, 120_000);
});
