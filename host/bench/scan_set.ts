/**
 * The page tables a scan benchmark runs over: a cache-resident set of 64 PMDs, a set of
 * 256 MiB of PTE tables (65536 PMDs, more than any cache), or the PMDs a full khugepaged
 * scan of a generated map visits. Each is a list of scan ranges as a full scan hands
 * them to a core.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PTE_BYTES, PTE_TABLE_BYTES, PTES_PER_PMD } from "../core/layout.ts";
import { anonPte } from "../core/pte.ts";
import { TsScanCore } from "../core/scan_ref.ts";
import { RANGE } from "../fullscan/scan_plan.ts";
import { buildScanPlan } from "../fullscan/scan_plan.ts";
import { defaultTunables } from "../kernel/tunables.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { mulberry32 } from "../run/rng.ts";
import { generateMap } from "../synth/generate.ts";
import type { SynthSpecInput } from "../synth/spec.ts";

/** The scan cores a benchmark can time: the TypeScript twin, the WASM scalar core, the WASM SIMD core. */
export const SCAN_ENGINES = ["ts", "wasm", "simd"] as const;
export type ScanEngine = (typeof SCAN_ENGINES)[number];

/** The built-in sets by name. */
export const SCAN_SETS = {
  cache: { pmds: 64, realistic: false, seed: 1 },
  "256MiB": { pmds: 65536, realistic: true, seed: 2 },
} as const;
export type ScanSetName = keyof typeof SCAN_SETS;

/** PMDs to scan, as rows of RANGE.WIDTH u32 values (dir, first, count, pmdNo, vmaFlags, out). */
export interface ScanSet {
  name: string;
  ranges: Uint32Array;
  pmds: number;
  /** PTE tables to read for the read-rate limit: `tableBytes` contiguous bytes from `tables`. */
  tables: number;
  tableBytes: number;
}

/**
 * `count` PMDs, each with a PTE table of private anon pages (80 % young). With
 * `realistic`, some PMDs also hold a few empty PTEs or shared pages (tolerated, so the
 * scan still runs all 512 PTEs) and 2 % hold a locked page somewhere that ends the scan.
 */
function builtInSet(memory: CoreMemory, name: ScanSetName): ScanSet {
  const { pmds: count, realistic, seed } = SCAN_SETS[name];
  // A seeded PRNG, so every run scans the same tables.
  const rand = mulberry32(seed);
  const tables = memory.alloc(count * PTE_TABLE_BYTES, PTE_TABLE_BYTES);
  const dir = memory.alloc(count * 4, 4);
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
  const ranges = new Uint32Array(RANGE.WIDTH);
  ranges[RANGE.DIR] = dir;
  ranges[RANGE.COUNT] = count;
  return { name, ranges, pmds: count, tables, tableBytes: count * PTE_TABLE_BYTES };
}

/**
 * The PMDs one full khugepaged scan of the map `input` describes would visit (as
 * `khugesim generate --scan` builds it). Alike PMDs share PTE tables, so the read-rate
 * limit reads as many bytes of fresh memory as the PMDs' tables would hold, up to 256 MiB.
 */
function generatedSet(memory: CoreMemory, name: string, input: SynthSpecInput): ScanSet {
  const k = new KhugepagedKernel({
    core: memory, scanCore: new TsScanCore(memory.memory), variant: getVariant("baseline"), trace: false, tunables: defaultTunables(),
  });
  generateMap(k, input);
  const plan = buildScanPlan(k);
  const tableBytes = Math.max(1, Math.min(plan.pmds, SCAN_SETS["256MiB"].pmds)) * PTE_TABLE_BYTES;
  return { name, ranges: plan.ranges, pmds: plan.pmds, tables: memory.alloc(tableBytes, PTE_TABLE_BYTES), tableBytes };
}

/** Build the set `set` names (a built-in one) or describes (a map description) in `memory`. */
export function buildScanSet(memory: CoreMemory, set: ScanSetName | { name: string; map: SynthSpecInput }): ScanSet {
  return typeof set === "string" ? builtInSet(memory, set) : generatedSet(memory, set.name, set.map);
}
