/**
 * The scan record ring: a batch's records stay as the scan wrote them while the daemon
 * consumes them; the collapse's isolate step writes its record elsewhere.
 */
import { describe, expect, test } from "vitest";
import { RECORD } from "../host/core/layout.ts";
import { ScanResult } from "../host/core/scan_result.ts";
import { readRecord } from "../host/kernel/scan_record.ts";
import { madvise } from "../host/mm/madvise.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, events, hotTask, SELFTEST_SYSFS } from "./khugepaged_fixture.ts";

describe.each(CORES.map((c) => [c.name, c] as const))("%s core", (_n, core) => {
  test("collapseHugePage()'s isolate record does not overwrite the batch's records", async () => {
    const k = await boot(core, { sysfs: { ...SELFTEST_SYSFS, "khugepaged/scan_sleep_millisecs": 10000 } });
    const { mm, start } = hotTask(k, "t", 2);
    // The first PMD loses its table (pmd_none); the second is collapsed, from the same batch.
    madvise(k, mm, start, PMD_SIZE, "MADV_DONTNEED");
    advance(k, 1);
    expect(events(k, "mm_collapse_huge_page_isolate").length).toBe(1);
    const first = readRecord(k.core.u32, k.ring);
    const second = readRecord(k.core.u32, k.ring + RECORD.BYTES);
    expect(first).toMatchObject({ address: start, result: ScanResult.NO_PTE_TABLE });
    expect(second).toMatchObject({ address: start + PMD_SIZE, result: ScanResult.SUCCEED });
  });
});
