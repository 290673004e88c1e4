/**
 * The experiment behind the lazy-free patch (spec/seed-experiment.md), step for step:
 * the author's test program run as hot1, then cold 1 s later, then hot2 1 s after that.
 */
import type { ScenarioInput } from "../scenario_schema.ts";

type TaskInput = NonNullable<ScenarioInput["tasks"]>[number];

/** 128 MiB: the program's BATCH_SIZE. */
const BUFFER = "128 MiB";
/** Phase B: 10,000 rounds of 32,768 one-byte loads, one per 4 KiB page on average. */
const PHASE_B_LOADS = 10_000 * 32_768;
/** A memset of the buffer in 64-byte stores (one cache line each). */
const MEMSET_STORES = (128 * 1024 * 1024) / 64;
/** memset bandwidth of one core to DRAM, about 10 GB/s: 156 M line stores per second. */
const MEMSET_RATE = 10e9 / 64;

/** mmap(MAP_POPULATE) then madvise(MADV_HUGEPAGE), the start of every task of the program. */
const mapping = [{ name: "buffer", size: BUFFER, populate: true }];
const registerWithKhugepaged = { do: "madvise", vma: "buffer", advice: "MADV_HUGEPAGE" } as const;
/** test_tlb_performance(): uniform random loads timed with rdtsc, the offsets drawn with rand(). */
const phaseB = {
  do: "access", vma: "buffer", pattern: { kind: "uniform" }, count: PHASE_B_LOADS, measure: true,
};

/** Phase A of a hot task: memset the whole buffer, sleep 1 s, 150 times. */
export const hotTask = (name: string, startS: number): TaskInput => ({
  name,
  startS,
  vmas: mapping,
  steps: [
    registerWithKhugepaged,
    {
      do: "repeat",
      times: 150,
      steps: [
        {
          do: "access", vma: "buffer", pattern: { kind: "sequential", stride: 64 }, writeFraction: 1,
          count: MEMSET_STORES, rate: MEMSET_RATE,
        },
        { do: "sleep", seconds: 1 },
      ],
    },
    phaseB,
  ],
});

/** Phase A of the cold task: sleep 10 s, MADV_FREE the whole buffer, sleep 140 s. */
const coldTask: TaskInput = {
  name: "cold",
  startS: 1,
  vmas: mapping,
  steps: [
    registerWithKhugepaged,
    { do: "sleep", seconds: 10 },
    { do: "madvise", vma: "buffer", advice: "MADV_FREE" },
    { do: "sleep", seconds: 140 },
    phaseB,
  ],
};

export const hot1ColdHot2: ScenarioInput = {
  name: "hot1-cold-hot2",
  description:
    "The lazy-free patch's experiment: two hot tasks memset 128 MiB every second for 150 s, a cold one " +
    "MADV_FREEs its 128 MiB; then each times 327,680,000 uniform random loads (hot2's are the published ones)",
  variants: ["baseline", "lazyfree-skip"],
  tunables: { enabled: "madvise" },
  tlb: "zen5",
  costModel: "bare-metal",
  seed: 1,
  tasks: [hotTask("hot1", 0), coldTask, hotTask("hot2", 2)],
};
