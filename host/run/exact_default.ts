/**
 * Whether a run simulates every access by default: when that is cheap. The choice reads
 * the scenario only (never the wall clock or the machine), so the same inputs give the
 * same output everywhere.
 */
import type { Scenario } from "../scenario/scenario_schema.ts";
import { runWork } from "./run_work.ts";

/**
 * Simulated accesses per run up to which `--exact` is the default: 2 s of wall time at
 * 50 M accesses/s, half the WASM core's rate per core on the seed (994 M accesses a
 * variant in 9.0 s of CPU under baseline on the 2-core Zen 5 guest, `npx tsx
 * bench/exact_phases.ts`), so a loaded core still makes it. Variants run side by side
 * (host/node/compare_pool.ts), so the bound is per run.
 */
export const EXACT_DEFAULT_MAX_ACCESSES = 100_000_000;

/** "exact" when one run of `s` simulates at most EXACT_DEFAULT_MAX_ACCESSES accesses exactly, else "sample". */
export function defaultTlbMode(s: Scenario): "exact" | "sample" {
  return runWork(s, true).total <= EXACT_DEFAULT_MAX_ACCESSES ? "exact" : "sample";
}
