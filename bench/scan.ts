/**
 * Scan-core speed: the TypeScript twin, the WASM scalar core and the WASM SIMD core, in
 * PTEs per second, on a cache-resident set (64 PMDs) and on a 256 MiB page-table set
 * (65536 PMDs), plus the read limit: plain SIMD code summing the same 256 MiB.
 * Writes bench/results/scan.json.
 *
 * Usage: npm run bench:scan
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import Benchmark from "benchmark";
import { PTE_BYTES, PTE_TABLE_BYTES, PTES_PER_PMD, RECORD, SCAN_FLAG } from "../host/core/layout.ts";
import { anonPte } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { createCore } from "../host/node/load_core.ts";
import { mulberry32 } from "../host/run/rng.ts";

const CACHE_RESIDENT_PMDS = 64;
const LARGE_PMDS = 65536; // 65536 PTE tables of 4 KiB: 256 MiB
const MiB = 1024 * 1024;
/** Sysfs defaults, khugepaged with the v8 lazy-free skip. */
const SCAN_ARGS = [511, 64, 256, 0, SCAN_FLAG.KHUGEPAGED | SCAN_FLAG.LAZYFREE_SKIP] as const;

const { memory, core } = await createCore({ maxBytes: 288 * MiB });
const sumBytesSimd = core.exports.sumBytesSimd as (ptr: number, bytes: number) => bigint;

interface PmdSet {
  dir: number;
  count: number;
  /** The PTE tables are contiguous: [tables, tables + count * 4 KiB). */
  tables: number;
  ring: number;
}

/**
 * `count` PMDs, each with a PTE table of private anon pages (80 % young). With
 * `realistic`, some PMDs also hold a few empty PTEs or shared pages (tolerated, so the
 * scan still runs all 512 PTEs) and 2 % hold a locked page somewhere that ends the scan.
 */
function buildSet(count: number, realistic: boolean, seed: number): PmdSet {
  // A seeded PRNG, so every run scans the same tables.
  const rand = mulberry32(seed);
  const tables = memory.alloc(count * PTE_TABLE_BYTES, PTE_TABLE_BYTES);
  const dir = memory.alloc(count * 4, 4);
  const ring = memory.alloc(count * RECORD.BYTES, RECORD.BYTES);
  const young = anonPte(0).lo, old = anonPte(0, { young: false }).lo;
  const shared = anonPte(0, { mapcount: 2 }).lo, locked = anonPte(0, { locked: true }).lo;
  const u32 = memory.u32;
  for (let k = 0; k < count; k++) {
    const table = tables + k * PTE_TABLE_BYTES;
    let w = table >>> 2;
    for (let i = 0; i < PTES_PER_PMD; i++, w += PTE_BYTES / 4) {
      u32[w] = rand() < 0.8 ? young : old;
      u32[w + 1] = 0x100000 + k * PTES_PER_PMD + i;
    }
    if (realistic) {
      const kind = rand();
      const at = () => (table >>> 2) + Math.floor(rand() * PTES_PER_PMD) * (PTE_BYTES / 4);
      if (kind < 0.06) for (let n = 1 + Math.floor(rand() * 8); n > 0; n--) u32.fill(0, at(), at() + 2);
      else if (kind < 0.08) u32[at()] = shared;
      else if (kind < 0.10) u32[at()] = locked;
    }
    u32[(dir >>> 2) + k] = table / PTE_TABLE_BYTES;
  }
  return { dir, count, tables, ring };
}

const scanner = (c: ScanCore, s: PmdSet) => () => c.scanPmds(s.dir, 0, s.count, 0, ...SCAN_ARGS, s.ring);

const small = buildSet(CACHE_RESIDENT_PMDS, false, 1);
const large = buildSet(LARGE_PMDS, true, 2);
const ts = new TsScanCore(memory.memory);

type Row = { set: "cacheResident" | "large"; core: string; ptes: number; fn: () => void };
const rows: Row[] = [
  ...[ts, core.scalar, core.simd].map((c): Row => ({
    set: "cacheResident", core: c.name, ptes: small.count * PTES_PER_PMD, fn: scanner(c, small),
  })),
  ...[ts, core.scalar, core.simd].map((c): Row => ({
    set: "large", core: c.name, ptes: large.count * PTES_PER_PMD, fn: scanner(c, large),
  })),
  {
    set: "large", core: "readLimit", ptes: large.count * PTES_PER_PMD,
    fn: () => void sumBytesSimd(large.tables, large.count * PTE_TABLE_BYTES),
  },
];

const suite = new Benchmark.Suite("scan");
for (const r of rows) suite.add(`${r.set} ${r.core}`, r.fn, { maxTime: 3, minSamples: 5 });
suite.on("cycle", (e: Benchmark.Event) => console.log(String(e.target)));
suite.run({ async: false });

const rate: Record<string, Record<string, number>> = { cacheResident: {}, large: {} };
suite.forEach((b: Benchmark, i: number) => {
  if (b.error) throw new Error(`Cannot run benchmark "${b.name}": ${b.error.message}`);
  rate[rows[i].set][rows[i].core] = b.hz * rows[i].ptes;
});

const M = (x: number) => `${(x / 1e6).toFixed(0)} M`;
console.table(Object.fromEntries(Object.entries(rate).map(([set, r]) => [set, Object.fromEntries(
  Object.entries(r).map(([k, v]) => [`${k} PTE/s`, M(v)]),
)])));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.table({
  cacheResident: { "wasm/ts": ratio(rate.cacheResident.wasm, rate.cacheResident.ts),
    "simd/ts": ratio(rate.cacheResident.simd, rate.cacheResident.ts) },
  large: { "wasm/ts": ratio(rate.large.wasm, rate.large.ts), "simd/ts": ratio(rate.large.simd, rate.large.ts),
    "simd/readLimit": ratio(rate.large.simd, rate.large.readLimit) },
});

const results = {
  cacheResident: { ts: rate.cacheResident.ts, wasm: rate.cacheResident.wasm, simd: rate.cacheResident.simd },
  large: { ts: rate.large.ts, wasm: rate.large.wasm, simd: rate.large.simd, readLimit: rate.large.readLimit },
  cores: os.cpus().length,
  node: process.version,
};
const out = new URL("results/", import.meta.url);
await mkdir(out, { recursive: true });
await writeFile(new URL("scan.json", out), JSON.stringify(results, null, 2) + "\n");
console.log(`Wrote bench/results/scan.json`);
