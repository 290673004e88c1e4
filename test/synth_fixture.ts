/**
 * Shared setup of the synthetic-map suites: a kernel on a fresh core memory with the
 * WASM SIMD scan core (the TypeScript twin when the core is not built), tracing off.
 */
import { CoreMemory } from "../host/core/core_memory.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { getVariant } from "../host/khugepaged/variants/mod.ts";
import { Kernel, type KernelOptions } from "../host/mm/kernel.ts";
import { loadNodeCore } from "../host/node/load_core.ts";

/** Whether build/khugesim.wasm loads; the suites fall back to the TS twin when it does not. */
export const WASM_BUILT = await loadNodeCore(new CoreMemory({ maxBytes: 1 << 20 })).then(() => true, () => false);

/** A scan core on `memory`: WASM SIMD when built, else the TypeScript twin. */
export async function scanCoreOn(memory: CoreMemory, kind: "simd" | "ts" = "simd"): Promise<ScanCore> {
  if (kind === "ts" || !WASM_BUILT) return new TsScanCore(memory.memory);
  return (await loadNodeCore(memory)).simd;
}

/** A kernel with `maxBytes` of core memory and its own scan core. */
export async function synthKernel(
  maxBytes = 256 * 1024 * 1024, o: Partial<KernelOptions> & { kind?: "simd" | "ts"; variantName?: string } = {},
): Promise<Kernel> {
  const core = new CoreMemory({ maxBytes });
  return new Kernel({
    core, scanCore: await scanCoreOn(core, o.kind), variant: getVariant(o.variantName ?? "baseline"), trace: false,
    ...o,
  });
}
