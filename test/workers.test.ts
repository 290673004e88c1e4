/**
 * Full scans on worker threads sharing the one WebAssembly.Memory: the same report as
 * the single-threaded run, byte for byte, and a worker that dies fails the run with an
 * error naming it instead of hanging or returning part of a result.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fullScan, type FullScanConfig, type FullScanReport } from "../host/fullscan/full_scan.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { FullScanPool, fullScanParallel } from "../host/node/full_scan_pool.ts";
import { generateMap } from "../host/synth/generate.ts";
import { synthKernel, WASM_BUILT } from "./synth_fixture.ts";

/** Variants, and a sweep of max_ptes_none and max_ptes_swap over the 7.1 variant. */
const CONFIGS: FullScanConfig[] = [
  { variant: "baseline" }, { variant: "lazyfree-skip" }, { variant: "lazyfree-keep" },
  ...[0, 64, 256].map((n) => ({ variant: "lazyfree-skip", max_ptes_none: n })),
  { variant: "baseline", max_ptes_swap: 0 },
];

function bytesOf(r: FullScanReport): Buffer {
  const { outcomes, ...rest } = r;
  return Buffer.concat([Buffer.from(JSON.stringify(rest)), ...outcomes!.map((o) => Buffer.from(o.buffer, o.byteOffset, o.byteLength))]);
}

describe("FullScanPool", () => {
  let k: KhugepagedKernel;
  let pool: FullScanPool;
  let single: FullScanReport;

  beforeAll(async () => {
    k = await synthKernel(128 * 1024 * 1024);
    generateMap(k, { preset: "realistic", size: "64GiB", tasks: 5, seed: 17 });
    single = fullScan(k, { configs: CONFIGS, keepOutcomes: true });
    pool = await FullScanPool.start(k.core, { workers: 2 });
  });
  afterAll(async () => { await pool?.close(); });

  test("FullScanPool.run() gives the single-threaded report, byte for byte, over a sweep", async () => {
    expect(single.scans.length).toBe(6);
    const parallel = await pool.run(k, { configs: CONFIGS, keepOutcomes: true, minSlice: 999 });
    expect(parallel.outcomes!.length).toBe(single.outcomes!.length);
    expect(Buffer.compare(bytesOf(parallel), bytesOf(single))).toBe(0);
    expect(parallel.summaries[1].results.SCAN_PAGE_LAZYFREE).toBeGreaterThan(0);
  });

  test("FullScanPool.run() reports progress up to the total", async () => {
    const seen: number[] = [];
    await pool.run(k, { configs: [{ variant: "baseline" }], onProgress: (done, total) => { seen.push(done / total); } });
    expect(seen.at(-1)).toBe(1);
  });

  test("fullScanParallel() on the TypeScript core agrees too", async () => {
    const r = await fullScanParallel(k, { workers: 2, scanCore: "ts", configs: CONFIGS.slice(0, 3), keepOutcomes: true });
    const s = fullScan(k, { configs: CONFIGS.slice(0, 3), keepOutcomes: true });
    expect(Buffer.compare(bytesOf(r), bytesOf(s))).toBe(0);
  });
});

describe("FullScanPool failures", () => {
  test("a worker that throws fails the run with an error naming it, and the pool refuses further runs", async () => {
    const k = await synthKernel(64 * 1024 * 1024);
    generateMap(k, { preset: "realistic", size: "8GiB" });
    const pool = await FullScanPool.start(k.core, { workers: 2, scanCore: WASM_BUILT ? "simd" : "ts" });
    try {
      await expect(pool.run(k, { fault: { worker: 1, message: "injected fault" } }))
        .rejects.toThrow(/^Full scan worker 1 \(thread \d+\) died: injected fault$/);
      await expect(pool.run(k)).rejects.toThrow(/^Cannot run a full scan: the worker pool has failed: Full scan worker 1/);
    } finally {
      await pool.close();
    }
  });

  test("a worker that exits mid-run fails the run with an error naming it", async () => {
    const k = await synthKernel(64 * 1024 * 1024);
    generateMap(k, { preset: "realistic", size: "8GiB" });
    const pool = await FullScanPool.start(k.core, { workers: 2, scanCore: "ts" });
    try {
      await expect(pool.run(k, { fault: { worker: 0, exitCode: 3 } }))
        .rejects.toThrow("Full scan worker 0 exited unexpectedly with code 3");
    } finally {
      await pool.close();
    }
  });

  test("FullScanPool.run() refuses a kernel on another core memory", async () => {
    const k1 = await synthKernel(16 * 1024 * 1024), k2 = await synthKernel(16 * 1024 * 1024);
    generateMap(k2, { size: "64MiB" });
    const pool = await FullScanPool.start(k1.core, { workers: 1, scanCore: "ts" });
    try {
      await expect(pool.run(k2)).rejects.toThrow(TypeError);
    } finally {
      await pool.close();
    }
  });
});
