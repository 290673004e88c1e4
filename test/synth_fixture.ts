/**
 * Shared setup of the synthetic-map suites: a kernel on a fresh core memory with the
 * WASM SIMD scan core (the TypeScript twin when the core is not built), tracing off.
 */
import { CoreMemory } from "../host/core/core_memory.ts";
import { RECORD, SCAN_FLAG } from "../host/core/layout.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { readRecord, type ScanRecord } from "../host/kernel/scan_record.ts";
import type { KernelOptions } from "../host/mm/kernel.ts";
import { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import type { Mm } from "../host/mm/mm.ts";
import { PMD_SIZE, vmaHend, vmaHstart } from "../host/mm/vma.ts";
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
): Promise<KhugepagedKernel> {
  const core = new CoreMemory({ maxBytes });
  return new KhugepagedKernel({
    core, scanCore: await scanCoreOn(core, o.kind), variant: getVariant(o.variantName ?? "baseline"), trace: false,
    ...o,
  });
}

/**
 * The scan record of every PMD of every VMA of `mms` (khugepaged's scan, `scanFlags`),
 * keyed "<mm name>:<pmd number>", as the scan core writes them into a fresh ring.
 */
export function scanRecordsByPmd(k: KhugepagedKernel, mms: readonly Mm[], scanFlags: number = SCAN_FLAG.KHUGEPAGED): Map<string, ScanRecord> {
  const out = new Map<string, ScanRecord>();
  const kh = k.tunables.khugepaged;
  for (const mm of mms) {
    for (const v of mm.vmas) {
      const first = vmaHstart(v) / PMD_SIZE, count = (vmaHend(v) - vmaHstart(v)) / PMD_SIZE;
      if (count <= 0) continue;
      const ring = k.core.alloc(count * RECORD.BYTES, 64);
      k.scanCore.scanPmds(mm.pt.dir, first - mm.pt.basePmd, count, first, kh.max_ptes_none, kh.max_ptes_swap,
        kh.max_ptes_shared, v.flags, scanFlags, ring);
      for (let i = 0; i < count; i++) out.set(`${mm.name}:${first + i}`, readRecord(k.core.u32, ring + i * RECORD.BYTES));
    }
  }
  return out;
}
