/**
 * What the scan cores decide for a full scan: one outcome word per PMD (result |
 * ptesExamined << 8) in an outcome array in core memory, and counters that slices of
 * the scan merge by addition. The single-threaded run and every worker run scanOutcomes().
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PTES_PER_PMD, RECORD } from "../core/layout.ts";
import type { ScanCore } from "../core/scan_core.ts";
import { SCAN_RESULTS } from "../core/scan_result.ts";
import { RANGE } from "./scan_plan.ts";

/** The thresholds and flags one core call needs: configs that agree on them share a scan. */
export interface ScanParams {
  maxPtesNone: number;
  maxPtesSwap: number;
  maxPtesShared: number;
  scanFlags: number;
}

/** Bits of an outcome word. */
export const OUTCOME = { RESULT_MASK: 0xff, EXAMINED_SHIFT: 8 } as const;

/**
 * Counters a scan of any slice adds up: PMDs by result, then PMDs by PTEs examined
 * (0 to 512). Slices merge by addition, so any split gives the same totals; every
 * variant's charge is a function of ptesExamined, so they price any variant.
 */
export const STATS = {
  COUNTS: 0,
  EXAMINED: SCAN_RESULTS.length,
  LENGTH: SCAN_RESULTS.length + PTES_PER_PMD + 1,
} as const;

/** Index of the range holding outcome `at` (ranges are sorted by their OUT column). */
function rangeAt(ranges: Uint32Array, at: number): number {
  let lo = 0, hi = ranges.length / RANGE.WIDTH - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (ranges[mid * RANGE.WIDTH + RANGE.OUT] <= at) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/**
 * Decide outcomes [from, to) of a plan's ranges with `core`, through a ring of
 * `ringRecords` records at byte offset `ring`, into the outcome array at byte offset
 * `outcomes`, adding to `stats` (see STATS). The single-threaded run and every worker
 * run this same function.
 */
export function scanOutcomes(
  core: ScanCore, memory: WebAssembly.Memory, ranges: Uint32Array, from: number, to: number, p: ScanParams,
  ring: number, ringRecords: number, outcomes: number, stats: Float64Array, onBatch?: (pmds: number) => void,
): void {
  if (from >= to) return;
  let u32 = new Uint32Array(memory.buffer);
  const ringW = ring >>> 2, outW = outcomes >>> 2;
  const stride = RECORD.BYTES >>> 2, examinedW = RECORD.PTES_EXAMINED >>> 2;
  for (let r = rangeAt(ranges, from), at = from; at < to; r++) {
    const row = r * RANGE.WIDTH;
    const out = ranges[row + RANGE.OUT], count = ranges[row + RANGE.COUNT];
    const end = Math.min(to, out + count);
    for (; at < end;) {
      const off = at - out;
      const n = Math.min(ringRecords, end - at);
      core.scanPmds(ranges[row + RANGE.DIR], ranges[row + RANGE.FIRST] + off, n, ranges[row + RANGE.PMD_NO] + off,
        p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, ranges[row + RANGE.VMA_FLAGS], p.scanFlags, ring);
      if (u32.length * 4 !== memory.buffer.byteLength) u32 = new Uint32Array(memory.buffer);
      for (let i = 0, w = ringW; i < n; i++, w += stride) {
        const result = u32[w], examined = u32[w + examinedW];
        u32[outW + at + i] = result | (examined << OUTCOME.EXAMINED_SHIFT);
        stats[STATS.COUNTS + result]++;
        stats[STATS.EXAMINED + examined]++;
      }
      at += n;
      onBatch?.(n);
    }
  }
}

/** Outcome arrays in core memory, kept per CoreMemory and reused from run to run. */
const arenas = new WeakMap<CoreMemory, Array<{ at: number; capacity: number }>>();

/** Byte offsets of `n` outcome arrays of `pmds` entries each, allocated once and reused. */
export function outcomeArrays(core: CoreMemory, n: number, pmds: number): number[] {
  let arena = arenas.get(core);
  if (!arena) arenas.set(core, arena = []);
  const need = Math.max(1, pmds);
  for (let i = 0; i < n; i++) {
    if (arena[i] === undefined || arena[i].capacity < need) {
      core.reserveCheck(need * 4, `Full scan outcome array of ${need} PMDs`);
      arena[i] = { at: core.alloc(need * 4, 64), capacity: need };
    }
  }
  return arena.slice(0, n).map((a) => a.at);
}
