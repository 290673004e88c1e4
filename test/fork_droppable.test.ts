/**
 * fork() and VM_DROPPABLE (mm/memory.c copy_page_range: a VM_WIPEONFORK mapping is not
 * copied): the child starts with empty droppable mappings, and with copies of every
 * other mapping, also where both kinds share one PMD.
 */
import { describe, expect, test } from "vitest";
import { VMA } from "../host/core/layout.ts";
import { mmap } from "../host/mm/fault.ts";
import { pmdOf } from "../host/mm/mm.ts";
import { fork } from "../host/mm/process.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { boot, CORES, pteAt } from "./khugepaged_fixture.ts";

describe("fork() of a PMD shared by a VM_DROPPABLE mapping and a normal one", () => {
  test.each([["lower", 0], ["upper", 1]] as const)("the %s mapping droppable: only the other is copied", async (_name, which) => {
    const k = await boot(CORES[0], { sysfs: { enabled: "never" } });
    const parent = k.createMm("parent");
    // A 2 MiB mapping first, so that the next two (each below the last) share the PMD below it.
    mmap(k, parent, { len: PMD_SIZE, align: PMD_SIZE });
    const upper = mmap(k, parent, { len: PMD_SIZE / 4, align: 4096, populate: true, flags: which === 1 ? VMA.VM_DROPPABLE : 0 });
    const lower = mmap(k, parent, { len: PMD_SIZE / 4, align: 4096, populate: true, flags: which === 0 ? VMA.VM_DROPPABLE : 0 });
    expect(pmdOf(upper.start)).toBe(pmdOf(lower.start));
    const [dropped, kept] = which === 0 ? [lower, upper] : [upper, lower];
    const child = fork(k, parent, "child");
    expect(pteAt(child, dropped.start).present).toBe(false);
    expect(pteAt(child, kept.start)).toMatchObject({ present: true, mapcount: 2 });
    expect(pteAt(parent, dropped.start)).toMatchObject({ present: true, mapcount: 1 });
  });
});
