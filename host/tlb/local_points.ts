/**
 * The points measured on this machine for the parts cost model's calibration
 * (cost_calibration.ts): the loops of bench/native/access_cost.c, by buffer and page size,
 * which of them are fitted, and the levels' latencies read from them.
 */
import type { CostPattern } from "./cost_parts.ts";
import { type CacheLevels, ZEN5_CACHES } from "./cost_presets.ts";

/** A point measured on this machine: one loop of access_cost.c over `mib` MiB of 4 KiB pages or THPs. */
export interface LocalPoint {
  readonly pattern: CostPattern;
  readonly pages: "4k" | "thp";
  readonly mib: number;
  readonly inFit: boolean;
}

/**
 * This machine's points. Phase B (random): over 128 MiB (the seed's), inside the L1 (32 KiB,
 * the base), the L2 (512 KiB), the L3 (2 and 8 MiB), at the L3's edge (32 MiB) and past it
 * (512 MiB); the page stride over 128 MiB. Fitted: 32 KiB, one page size at 8, 32 and
 * 128 MiB, 512 MiB and the stride over 4 KiB pages; the rest held out, so that each kind has
 * points of both.
 */
export const LOCAL_POINTS: readonly LocalPoint[] = [
  { pattern: "random", pages: "4k", mib: 128, inFit: true },
  { pattern: "random", pages: "thp", mib: 128, inFit: false },
  { pattern: "random", pages: "thp", mib: 2, inFit: false },
  { pattern: "random", pages: "4k", mib: 1 / 32, inFit: true },
  { pattern: "random", pages: "4k", mib: 1 / 2, inFit: false },
  { pattern: "random", pages: "thp", mib: 8, inFit: true },
  { pattern: "random", pages: "4k", mib: 8, inFit: false },
  { pattern: "random", pages: "thp", mib: 32, inFit: true },
  { pattern: "random", pages: "4k", mib: 32, inFit: false },
  { pattern: "random", pages: "thp", mib: 512, inFit: true },
  { pattern: "stride", pages: "4k", mib: 128, inFit: true },
  { pattern: "stride", pages: "thp", mib: 128, inFit: false },
  { pattern: "stride", pages: "4k", mib: 8, inFit: false },
  { pattern: "stride", pages: "thp", mib: 8, inFit: true },
  { pattern: "stride", pages: "4k", mib: 256, inFit: true },
  { pattern: "stride", pages: "4k", mib: 512, inFit: false },
  { pattern: "stride", pages: "thp", mib: 512, inFit: true },
];

/** The latency loop's points whose ticks are the levels' latencies: a buffer each of L2, L3 and DRAM holds. */
export const LATENCY_POINTS = { l2: ["4k", 1 / 2], l3: ["thp", 8], dram: ["thp", 512] } as const;

/** The key of a measured configuration: "random/4k" (128 MiB), "random/thp/8mib", "latency/4k/512kib". */
export function pointKey(pattern: string, pages: string, mib: number): string {
  return mib === 128 ? `${pattern}/${pages}` : `${pattern}/${pages}/${mib >= 1 ? `${mib}mib` : `${mib * 1024}kib`}`;
}

/** Ticks per access measured on this machine, by pointKey(): LOCAL_POINTS and LATENCY_POINTS. */
export interface LocalTicks {
  readonly ticks: Readonly<Record<string, number>>;
  /** How far a fresh measurement of LOCAL_POINTS may differ from this one, relative; undefined: 0. */
  readonly scatter?: number;
}

/**
 * This machine's caches: Zen 5's sizes (cost_presets.ts, as this guest's lscpu shows them)
 * and the latencies the latency loop measured in its ticks (LATENCY_POINTS).
 */
export function localCaches(local: LocalTicks): CacheLevels {
  const t = (pattern: string, [pages, mib]: readonly [string, number]) => ticksOf(local, pointKey(pattern, pages, mib));
  return { ...ZEN5_CACHES, l2Cycles: t("latency", LATENCY_POINTS.l2), l3Cycles: t("latency", LATENCY_POINTS.l3), dramCycles: t("latency", LATENCY_POINTS.dram) };
}

/** The ticks of `key` in `local`; a point it lacks is an error. */
export function ticksOf(local: LocalTicks, key: string): number {
  const t = local.ticks[key];
  if (t === undefined) throw new RangeError(`The measurement has no point ${key}`);
  return t;
}
