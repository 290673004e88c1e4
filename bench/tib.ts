/**
 * A 1 TiB synthetic map of mixed classes (the "realistic" preset, 524,288 PMDs): how
 * long it takes to generate, one full khugepaged scan on this thread and on two worker
 * threads sharing the memory (the speed-up), the process's peak RSS, and the core
 * memory a synthetic map takes per mapped GiB when uniform, realistic and random.
 * Prints one JSON object; bench/suite.ts runs it as a child so its peak RSS is its own.
 *
 * Usage: tsx bench/tib.ts
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { MAX_CORE_BYTES } from "../host/core/core_memory.ts";
import { fullScan, type FullScanConfig } from "../host/fullscan/full_scan.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { FullScanPool } from "../host/node/full_scan_pool.ts";
import { createCore } from "../host/node/load_core.ts";
import { generateMap } from "../host/synth/generate.ts";

const REPEATS = 7;
const WARM_UPS = 2;

/**
 * Best and median seconds of each function over `n` rounds, after untimed warm-ups (JIT
 * tiers, worker caches). The functions take turns within a round, so a neighbour's
 * burst on a shared machine does not fall on one of them alone.
 */
async function rounds<K extends string>(n: number, fns: Record<K, () => unknown>): Promise<Record<K, { best: number; median: number }>> {
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < WARM_UPS; i++) for (const k of names) await fns[k]();
  const times = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < n; i++) {
    for (const k of names) {
      const t0 = performance.now();
      await fns[k]();
      times[k].push((performance.now() - t0) / 1000);
    }
  }
  return Object.fromEntries(names.map((k) => {
    const s = times[k].sort((a, b) => a - b);
    return [k, { best: s[0], median: s[s.length >> 1] }];
  })) as Record<K, { best: number; median: number }>;
}

/** Busy and total CPU seconds of the whole machine so far (Linux /proc/stat, USER_HZ 100), if readable. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const v = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: (total - v[3] - v[4]) / 100, total: total / 100 };
  } catch {
    return undefined;
  }
}

/**
 * Run `fn` and measure the share of the machine's CPU time that other processes used
 * meanwhile: this process's CPU time (its worker threads included) is subtracted from
 * the machine's busy time. A timing taken while others used much is not one to trust.
 */
async function othersShare<T>(fn: () => Promise<T>): Promise<{ value: T; othersCpuShare: number | null }> {
  const m0 = machineCpu(), p0 = process.cpuUsage();
  const value = await fn();
  const m1 = machineCpu(), p1 = process.cpuUsage(p0);
  if (!m0 || !m1 || m1.total <= m0.total) return { value, othersCpuShare: null };
  const own = (p1.user + p1.system) / 1e6;
  return { value, othersCpuShare: Math.max(0, (m1.busy - m0.busy - own) / (m1.total - m0.total)) };
}

async function kernel(): Promise<KhugepagedKernel> {
  const { memory, core } = await createCore();
  return new KhugepagedKernel({ core: memory, scanCore: core.simd, variant: getVariant("baseline"), trace: false });
}

/** Core bytes per mapped GiB of a map generated into a fresh kernel, and the bytes that kernel had free. */
async function bytesPerGiB(input: Parameters<typeof generateMap>[1]): Promise<{ perGiB: number; free: number }> {
  const k = await kernel();
  const free = MAX_CORE_BYTES - k.core.usedBytes;
  return { perGiB: generateMap(k, input).stats.bytesPerMappedGiB, free };
}

export async function benchTib(): Promise<Record<string, unknown>> {
  const load = [os.loadavg()[0]];
  const k = await kernel();
  const t0 = performance.now();
  const map = generateMap(k, { preset: "realistic", size: "1TiB", seed: 1 });
  const generateS = (performance.now() - t0) / 1000;
  const one: FullScanConfig[] = [{ variant: "baseline" }];
  const seedPair: FullScanConfig[] = [{ variant: "baseline" }, { variant: "lazyfree-skip" }];

  const tp = performance.now();
  const pool2 = await FullScanPool.start(k.core, { workers: 2 });
  const poolStartS = (performance.now() - tp) / 1000;
  const pool1 = await FullScanPool.start(k.core, { workers: 1 });
  const { value: t, othersCpuShare } = await othersShare(() => rounds(REPEATS, {
    single: () => fullScan(k, { configs: one }),
    two: () => pool2.run(k, { configs: one }),
    oneWorker: () => pool1.run(k, { configs: one }),
    singlePair: () => fullScan(k, { configs: seedPair }),
    twoPair: () => pool2.run(k, { configs: seedPair }),
  }));
  const { single, two, oneWorker, singlePair, twoPair } = t;
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
      uniform: uniform.perGiB, realistic: map.stats.bytesPerMappedGiB, random: random.perGiB,
      // Every random PMD has its own 4 KiB table: the largest random map a fresh 4 GiB core memory holds.
      randomMaxMappedGiB: Math.floor(random.free / random.perGiB),
    },
    loadAverage1m: load,
    othersCpuShare,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await benchTib()) + "\n");
}
