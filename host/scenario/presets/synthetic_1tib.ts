/**
 * khugepaged over a terabyte: a long-running server's anonymous memory, generated
 * (host/synth's "realistic" mix), with no task running. khugepaged wakes every 100 ms
 * with its default budget, so five simulated minutes cover a few percent of the map,
 * and the two variants differ in how far that budget goes: the baseline charges 512
 * per PMD, the lazy-free skip only the PTEs it examined.
 */
import type { ScenarioInput } from "../scenario_schema.ts";

export const synthetic1TiB: ScenarioInput = {
  name: "synthetic-1tib",
  description: "A generated 1 TiB server map (16 processes, a third already huge, some cold, swapped, shared and " +
    "lazy-free memory) scanned by khugepaged every 100 ms for 5 minutes",
  variants: ["baseline", "lazyfree-skip"],
  tunables: { "khugepaged/scan_sleep_millisecs": 100 },
  tlb: "zen5",
  costModel: "bare-metal",
  seed: 1,
  durationS: 300,
  intervalS: 10,
  // Free memory for the new THPs: synthetic pages are not drawn from it.
  memory: { totalBytes: "256 GiB", fragmentation: 0 },
  generate: { preset: "realistic", size: "1TiB" },
  tasks: [],
};
