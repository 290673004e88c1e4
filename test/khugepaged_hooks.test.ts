/**
 * mm/ reaches khugepaged only through KhugepagedHooks: the mm layer's Kernel on its own
 * has no khugepaged, and KhugepagedKernel's hooks carry every call mm/ makes into it.
 */
import { describe, expect, test } from "vitest";
import { CoreMemory } from "../host/core/core_memory.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import { Kernel, type KernelOptions } from "../host/mm/kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { exitMm, fork } from "../host/mm/process.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";

function options(): KernelOptions {
  const core = new CoreMemory({ maxBytes: 64 * 1024 * 1024 });
  return { core, scanCore: new TsScanCore(core.memory), variant: getVariant("baseline"), memoryBytes: 1024 ** 3 };
}

describe("KhugepagedHooks", () => {
  test("mm's Kernel without khugepaged registers nothing and refuses MADV_COLLAPSE with -EINVAL", () => {
    const k = new Kernel(options());
    const mm = k.createMm("t");
    const v = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    touch(k, mm, v.start, PMD_SIZE, true);
    expect(mm.registered).toBe(false);
    expect(madvise(k, mm, v.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(-22);
  });

  test("KhugepagedKernel: a fault enters the mm, fork enters the child, exit leaves the list, MADV_COLLAPSE collapses", () => {
    const k = new KhugepagedKernel(options());
    k.writeTunable("enabled", "madvise");
    const mm = k.createMm("t");
    const v = mmap(k, mm, { len: PMD_SIZE, align: PMD_SIZE });
    madvise(k, mm, v.start, PMD_SIZE, "MADV_HUGEPAGE");
    touch(k, mm, v.start, 4096, true);
    expect(k.khugepaged.slots).toEqual([mm]);
    const child = fork(k, mm, "child");
    expect(k.khugepaged.slots).toEqual([mm, child]);
    exitMm(k, child);
    expect(k.khugepaged.slots).toEqual([mm]);
    expect(madvise(k, mm, v.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    expect(mm.huge.size).toBe(1);
  });
});
