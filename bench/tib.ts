/**
 * A 1 TiB synthetic map of mixed classes (the "realistic" preset, 524,288 PMDs): how
 * long it takes to generate, one full khugepaged scan on this thread and on two worker
 * threads sharing the memory (the speed-up), the process's peak RSS, and the core
 * memory a synthetic map takes per mapped GiB when uniform, realistic and random.
 * Prints one JSON object; bench/suite.ts runs it as a child so its peak RSS is its own.
 *
 * Usage: tsx bench/tib.ts
 */
import os from "node:os";
import { CoreMemory, MAX_CORE_BYTES } from "../host/core/core_memory.ts";
import { fullScan, type FullScanConfig } from "../host/fullscan/full_scan.ts";
import { getVariant } from "../host/khugepaged/variants/mod.ts";
import { Kernel } from "../host/mm/kernel.ts";
import { FullScanPool } from "../host/node/full_scan_pool.ts";
import { createCore, loadNodeCore } from "../host/node/load_core.ts";
import { generateMap } from "../host/synth/generate.ts";

const REPEATS = 5;

/** Best and median of `n` timed runs of `fn`, in seconds, after one untimed warm-up. */
async function timed(n: number, fn: () => unknown): Promise<{ best: number; median: number }> {
  await fn();
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    s.push((performance.now() - t0) / 1000);
  }
  s.sort((a, b) => a - b);
  return { best: s[0], median: s[s.length >> 1] };
}

async function kernel(): Promise<Kernel> {
  const { memory, core } = await createCore();
  return new Kernel({ core: memory, scanCore: core.simd, variant: getVariant("baseline"), trace: false });
}

/** Core bytes per mapped GiB of a map generated into a fresh kernel. */
async function bytesPerGiB(input: Parameters<typeof generateMap>[1]): Promise<number> {
  const memory = new CoreMemory();
  const k = new Kernel({ core: memory, scanCore: (await loadNodeCore(memory)).simd, variant: getVariant("baseline"), trace: false });
  return generateMap(k, input).stats.bytesPerMappedGiB;
}

export async function benchTib(): Promise<Record<string, unknown>> {
  const load = [os.loadavg()[0]];
  const k = await kernel();
  const t0 = performance.now();
  const map = generateMap(k, { preset: "realistic", size: "1TiB", seed: 1 });
  const generateS = (performance.now() - t0) / 1000;
  const one: FullScanConfig[] = [{ variant: "baseline" }];
  const seedPair: FullScanConfig[] = [{ variant: "baseline" }, { variant: "lazyfree-skip" }];

  const single = await timed(REPEATS, () => fullScan(k, { configs: one }));
  const singlePair = await timed(REPEATS, () => fullScan(k, { configs: seedPair }));
  const tp = performance.now();
  const pool2 = await FullScanPool.start(k.core, { workers: 2 });
  const poolStartS = (performance.now() - tp) / 1000;
  const pool1 = await FullScanPool.start(k.core, { workers: 1 });
  const two = await timed(REPEATS, () => pool2.run(k, { configs: one }));
  const twoPair = await timed(REPEATS, () => pool2.run(k, { configs: seedPair }));
  const oneWorker = await timed(REPEATS, () => pool1.run(k, { configs: one }));
  await pool1.close();
  await pool2.close();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  load.push(os.loadavg()[0]);

  const uniform = await bytesPerGiB({ preset: "uniform", size: "1TiB" });
  const random = await bytesPerGiB({ preset: "random", size: "64GiB" });
  return {
    pmds: map.stats.pmds,
    generateS,
    fullPassS: single.best,
    fullPassMedianS: single.median,
    pmdsPerS: map.stats.pmds / single.best,
    bothSeedVariantsS: singlePair.best,
    twoWorkers: { fullPassS: two.best, bothSeedVariantsS: twoPair.best, poolStartS },
    oneWorkerFullPassS: oneWorker.best,
    speedup: single.best / two.best,
    speedupBothSeedVariants: singlePair.best / twoPair.best,
    speedupOverOneWorker: oneWorker.best / two.best,
    peakRssMiB,
    wasmBytesPerMappedGiB: map.stats.bytesPerMappedGiB,
    synthBytesPerMappedGiB: {
      uniform, realistic: map.stats.bytesPerMappedGiB, random,
      // Every random PMD has its own 4 KiB table: what fits below the 4 GiB WASM32 limit.
      randomMaxMappedGiB: Math.floor((MAX_CORE_BYTES - k.core.usedBytes + map.stats.coreBytes) / random),
    },
    loadAverage1m: load,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await benchTib()) + "\n");
}
