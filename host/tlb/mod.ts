/**
 * The TLB model: a task's data TLBs simulated over its PMD directory, access streams
 * generated inside the core, a sampler for long intervals, and the cost line that turns
 * page walks into time.
 *
 * @example
 * const { memory, core } = await createCore();
 * const tlb = new TaskTlb(memory, wasmTlbCore(core.exports), ZEN5);
 * const stream = new AccessStream(memory, { dir, firstPmd: 0, offset: 0, length: 128 << 20 }, { kind: "uniform" }, 1);
 * const est = estimateTlb(tlb, stream, 327_680_000);
 * const seconds = accessSeconds(BARE_METAL, est.accesses, est.walksPerAccess);
 */
export { AccessStream, type AccessPattern, type TlbRegion } from "./access_stream.ts";
export {
  accessSeconds, BARE_METAL, calibrationCheck, type CalibrationCheck, type CostModel, fitCostModel, SEED_ROWS,
  throughput, ticksPerAccess,
} from "./cost_model.ts";
export {
  GOLDEN_COVE, type PerfDtlbLoadMisses, type TlbArray, type TlbPreset, TLB_PRESETS, tlbPreset, ZEN5,
} from "./presets.ts";
export { estimateTlb, type TlbEstimate, type TlbSampleOptions } from "./sampler.ts";
export { TaskTlb } from "./tlb.ts";
export { perfDtlbLoadMisses, type TlbCounts } from "./tlb_counts.ts";
export { type TlbCore, wasmTlbCore } from "./tlb_core.ts";
export { createTlbRef } from "./tlb_ref.ts";
export {
  BARE_METAL_MMU, type HostPage, type HostPageMix, hostLevels, machineVirtualization, mixedHostLevels, mixedVirtualization, mixThresholds,
  nestedWalkRefs, type Virtualization, virtualizationOf,
} from "./virtualization.ts";
