/**
 * Synthetic address spaces: terabyte maps from a compact description, written straight
 * into page tables with alike PMDs stored once. The public face of host/synth.
 *
 * @example
 * const map = generateMap(kernel, { preset: "realistic", size: "1TiB", seed: 7 });
 */
export { type Census, censusMaps } from "./census.ts";
export { generateMap, type SynthMap, type SynthStats } from "./generate.ts";
export { planMap, SYNTH_PFN_BASE, type SynthPlan } from "./plan.ts";
export {
  defaultSynthSpec, type Fractions, PAGE_STATES, type PageState, parseSynthSpec, type Population, SYNTH_PRESETS,
  type SynthSpec, type SynthSpecInput, type VmaSizeDist,
} from "./spec.ts";
