/**
 * A deduplicated synthetic map (alike PMDs share one PTE table) scans exactly like its
 * dense twin (every PMD its own copy): the scan cores write the same records.
 */
import { expect, test } from "vitest";
import { RECORD, SCAN_FLAG } from "../host/core/layout.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import type { Kernel } from "../host/mm/kernel.ts";
import type { Mm } from "../host/mm/mm.ts";
import { pmdMap } from "../host/mm/pmd_map.ts";
import { smapsRollup } from "../host/mm/smaps.ts";
import { PMD_SIZE, vmaHend, vmaHstart } from "../host/mm/vma.ts";
import { generateMap } from "../host/synth/generate.ts";
import type { SynthSpecInput } from "../host/synth/spec.ts";
import { synthKernel, WASM_BUILT } from "./synth_fixture.ts";

/** Every PMD of every VMA of `mms`, scanned by `core` under `scanFlags`, as raw record bytes. */
function scanAll(k: Kernel, mms: readonly Mm[], core: ScanCore, scanFlags: number): Uint8Array {
  const pmds = mms.reduce((s, mm) => s + mm.vmas.reduce((t, v) => t + (vmaHend(v) - vmaHstart(v)) / PMD_SIZE, 0), 0);
  const ring = k.core.alloc(pmds * RECORD.BYTES, 64);
  let at = ring;
  for (const mm of mms) {
    for (const v of mm.vmas) {
      const pmdNo = vmaHstart(v) / PMD_SIZE, count = (vmaHend(v) - vmaHstart(v)) / PMD_SIZE;
      core.scanPmds(mm.pt.dir, pmdNo - mm.pt.basePmd, count, pmdNo, 511, 64, 256, v.flags, scanFlags, at);
      at += count * RECORD.BYTES;
    }
  }
  return new Uint8Array(k.core.memory.buffer, ring, pmds * RECORD.BYTES).slice();
}

const SPEC: SynthSpecInput = { preset: "realistic", size: "8GiB", tasks: 3, seed: 11 };

test.each([
  ["khugepaged", SCAN_FLAG.KHUGEPAGED],
  ["khugepaged with the lazy-free skip", SCAN_FLAG.KHUGEPAGED | SCAN_FLAG.LAZYFREE_SKIP],
])("a deduplicated map and its dense twin give the same scan records (%s)", async (_name, flags) => {
  const shared = await synthKernel();
  const dense = await synthKernel();
  const a = generateMap(shared, SPEC);
  const b = generateMap(dense, { ...SPEC, dedup: false });
  expect(a.stats.tables).toBeLessThan(200);
  expect(b.stats.tables).toBe(b.stats.tablePmds);
  expect(a.stats.coreBytes * 20).toBeLessThan(b.stats.coreBytes);
  const ra = scanAll(shared, a.mms, shared.scanCore, flags);
  const rb = scanAll(dense, b.mms, dense.scanCore, flags);
  expect(ra.length).toBe(4096 * RECORD.BYTES);
  expect(Buffer.compare(Buffer.from(ra), Buffer.from(rb))).toBe(0);
  // And the TypeScript twin agrees with the WASM core on the deduplicated map.
  if (WASM_BUILT) {
    const rt = scanAll(shared, a.mms, new TsScanCore(shared.core.memory), flags);
    expect(Buffer.compare(Buffer.from(ra), Buffer.from(rt))).toBe(0);
  }
});

test("pfns \"pmd\" gives every PMD its own pfns and table, with the same results as shared pfns", async () => {
  const k1 = await synthKernel(), k2 = await synthKernel();
  const a = generateMap(k1, { ...SPEC, size: "2GiB" });
  const b = generateMap(k2, { ...SPEC, size: "2GiB", pfns: "pmd" });
  expect(b.stats.tables).toBe(b.stats.tablePmds);
  const ra = scanAll(k1, a.mms, k1.scanCore, SCAN_FLAG.KHUGEPAGED);
  const rb = scanAll(k2, b.mms, k2.scanCore, SCAN_FLAG.KHUGEPAGED);
  // Word by word, every field but the pfn agrees.
  const wa = new Uint32Array(ra.buffer), wb = new Uint32Array(rb.buffer);
  const PFN = RECORD.PFN / 4;
  let pfnsDiffer = 0;
  for (let i = 0; i < wa.length; i++) {
    if (i % (RECORD.BYTES / 4) === PFN) { if (wa[i] !== wb[i]) pfnsDiffer++; continue; }
    expect(wb[i]).toBe(wa[i]);
  }
  expect(pfnsDiffer).toBeGreaterThan(0);
});

test("smapsRollup() and pmdMap() read a deduplicated map as they read its dense twin", async () => {
  const shared = await synthKernel(), dense = await synthKernel();
  const a = generateMap(shared, SPEC), b = generateMap(dense, { ...SPEC, dedup: false });
  a.mms.forEach((mm, i) => {
    expect(smapsRollup(mm)).toEqual(smapsRollup(b.mms[i]));
    expect(pmdMap(mm)).toEqual(pmdMap(b.mms[i]));
  });
  expect(smapsRollup(a.mms[0]).LazyFree).toBeGreaterThan(0);
});
