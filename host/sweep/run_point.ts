/**
 * The runs of a sweep: one point of the grid each, named by a stable key, in one
 * canonical order, and cut into disjoint shards by that key alone.
 */
import type { VariantName } from "../kernel/variants/mod.ts";
import type { SweepSpec } from "./sweep_spec.ts";

/** One run of the grid: a scenario under one variant, with tunables written and a seed. */
export interface RunPoint {
  /**
   * `hot1-cold-hot2 baseline khugepaged/pages_to_scan=512 seed=1`: the same for the same
   * point whatever else the grid holds, so a grown grid keeps the runs it already has.
   */
  key: string;
  scenario: string;
  variant: VariantName;
  /** The swept tunables' values, by path, sorted by path. */
  tunables: Record<string, string | number>;
  seed: number;
}

/** The key of a point. */
export function runKey(p: Omit<RunPoint, "key">): string {
  const tunables = Object.entries(p.tunables).map(([path, v]) => `${path}=${v}`);
  return [p.scenario, p.variant, ...tunables, `seed=${p.seed}`].join(" ");
}

function compareValues(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a), y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The canonical order of runs: by scenario, variant, each tunable (by path; numbers by
 * value) and seed. It needs no grid, so shards' outputs merge into the unsharded order.
 */
export function compareRuns(a: Omit<RunPoint, "key">, b: Omit<RunPoint, "key">): number {
  const paths = [...new Set([...Object.keys(a.tunables), ...Object.keys(b.tunables)])].sort();
  const order = [
    compareValues(a.scenario, b.scenario),
    compareValues(a.variant, b.variant),
    ...paths.map((p) => compareValues(a.tunables[p] ?? "", b.tunables[p] ?? "")),
    a.seed - b.seed,
  ];
  return order.find((c) => c !== 0) ?? 0;
}

/** Every point of the grid, in canonical order. */
export function expandGrid(spec: SweepSpec): RunPoint[] {
  let tunables: Array<Record<string, string | number>> = [{}];
  for (const [path, values] of spec.tunables) tunables = tunables.flatMap((t) => values.map((v) => ({ ...t, [path]: v })));
  const points: RunPoint[] = [];
  for (const scenario of spec.scenarios) {
    for (const variant of spec.variants) {
      for (const t of tunables) {
        for (const seed of spec.seeds) {
          const p = { scenario, variant, tunables: t, seed };
          points.push({ key: runKey(p), ...p });
        }
      }
    }
  }
  return points.sort(compareRuns);
}

/** A shard `index` of `count` (`--shard 2/8`: index 2, from 0 to count − 1). */
export interface Shard {
  index: number;
  count: number;
}

/** "I/N" → a shard; a RangeError naming what is wrong otherwise. */
export function parseShard(text: string): Shard {
  const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!(Number.isSafeInteger(count) && count >= 1 && Number.isSafeInteger(index) && index < count)) {
    throw new RangeError(`--shard must be I/N with N at least 1 and I from 0 to N-1, got "${text}"`);
  }
  return { index, count };
}

/** FNV-1a over the key's UTF-8 bytes: the same in every runtime, and spreads similar keys. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** Whether the run of `key` belongs to `shard`: decided by the key alone, so shards are disjoint and cover the grid. */
export function inShard(key: string, shard: Shard): boolean {
  return fnv1a(key) % shard.count === shard.index;
}
