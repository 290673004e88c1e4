/**
 * Trace output in the kernel's ftrace text format (TP_printk of
 * include/trace/events/huge_memory.h, trace_print_context of kernel/trace/trace_output.c),
 * event order within one collapse, JSON Lines, and determinism.
 *
 * The expected lines below are written out by hand from these formats (pre-mTHP, so
 * without ", order=%u"):
 *   mm_khugepaged_scan_pmd        "mm=%p, scan_pfn=0x%lx, referenced=%d, none_or_zero=%d, status=%s, unmapped=%d"
 *   mm_collapse_huge_page         "mm=%p, isolated=%d, status=%s"
 *   mm_collapse_huge_page_isolate "scan_pfn=0x%lx, none_or_zero=%d, referenced=%d, status=%s"
 *   mm_collapse_huge_page_swapin  "mm=%p, swapped_in=%d, referenced=%d, ret=%d"
 *   mm_khugepaged_scan            "mm=%p, progress=%u, full_scan_finished=%d"
 * and each line starts "%16s-%-7d [%03d] ..... %5lu.%06lu: <event>: ".
 */
import { describe, expect, test } from "vitest";
import { hashedPointer } from "../host/kernel/trace.ts";
import { mmap, touch } from "../host/mm/fault.ts";
import type { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import { fork } from "../host/mm/process.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, type CoreKind, hotTask, traceLines } from "./khugepaged_fixture.ts";

/** A richer run: several tasks, fragmentation, lazy-free memory, swap, fork, exits. */
async function scenario(core: CoreKind, variant: string, seed: number): Promise<KhugepagedKernel> {
  const k = await boot(core, { variant, seed, fragmentation: 0.5, memoryBytes: 256 * PMD_SIZE, sysfs: { enabled: "madvise" } });
  const hot = hotTask(k, "hot", 12);
  const cold = hotTask(k, "cold", 12);
  madvise(k, cold.mm, cold.start, 12 * PMD_SIZE, "MADV_FREE");
  madvise(k, hot.mm, hot.start + 3 * PMD_SIZE, 40 * PAGE_SIZE, "MADV_PAGEOUT");
  advance(k, 15_000);
  const child = fork(k, hot.mm, "child");
  touch(k, child, hot.start + 10 * PMD_SIZE, 100 * PAGE_SIZE, true);
  advance(k, 20_000);
  madvise(k, hot.mm, hot.start + 8 * PMD_SIZE, PMD_SIZE, "MADV_COLLAPSE");
  advance(k, 60_000);
  return k;
}

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  test("traceLines() of a khugepaged collapse with swap-in match the kernel's format, in the kernel's order", async () => {
    const k = await boot(core, { variant: "lazyfree-skip", sysfs: { enabled: "madvise" } });
    const t = hotTask(k, "t", 1);
    madvise(k, t.mm, t.start, PAGE_SIZE, "MADV_PAGEOUT");
    advance(k, 1);
    expect(hashedPointer(t.mm.id)).toBe("000000008d075072");
    // One pass at t = 0: 100 ns to visit the mm and 1024 ns to scan the PMD stamp the
    // collapse's events at 1.124 µs; the call ends after the 250 µs collapse.
    // PTE 0 was swapped out: 511 referenced PTEs, 1 unmapped. Base pages come from
    // partly used blocks first: block 0 (whose page 0 is never handed out) gave PTEs
    // 0-510 pfns 0x1-0x1ff, so the last folio examined, PTE 511's, is pfn 0x200.
    expect(traceLines(k)).toEqual([
      "      khugepaged-57      [001] .....     0.000001: mm_collapse_huge_page_swapin: mm=000000008d075072, swapped_in=1, referenced=511, ret=1",
      "      khugepaged-57      [001] .....     0.000001: mm_collapse_huge_page_isolate: scan_pfn=0x200, none_or_zero=0, referenced=512, status=succeeded",
      "      khugepaged-57      [001] .....     0.000001: mm_collapse_huge_page: mm=000000008d075072, isolated=1, status=succeeded",
      "      khugepaged-57      [001] .....     0.000001: mm_khugepaged_scan_pmd: mm=000000008d075072, scan_pfn=0x200, referenced=511, none_or_zero=0, status=succeeded, unmapped=1",
      "      khugepaged-57      [001] .....     0.000251: mm_khugepaged_scan: mm=000000008d075072, progress=513, full_scan_finished=0",
      "      khugepaged-57      [001] .....     0.000251: mm_khugepaged_scan: mm=000000008d075072, progress=1, full_scan_finished=1",
    ]);
  });

  test("traceLines() of a failed scan and of MADV_COLLAPSE use the task's comm and pid, and the 6.18 strings in baseline", async () => {
    const k = await boot(core, { variant: "baseline", sysfs: { enabled: "madvise" } });
    const mm = k.createMm("task");
    const vma = mmap(k, mm, { len: 2 * PMD_SIZE });
    touch(k, mm, vma.start, PAGE_SIZE, true);
    madvise(k, mm, vma.start, PAGE_SIZE, "MADV_COLD");
    madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_HUGEPAGE");
    advance(k, 1);
    expect(madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_COLLAPSE")).toBe(-22);
    expect(traceLines(k)).toEqual([
      // khugepaged: PMD 0 has one old page, pfn 0x1 (lack_referenced_page); PMD 1 no PTE table.
      "      khugepaged-57      [001] .....     0.000001: mm_khugepaged_scan_pmd: mm=000000008d075072, scan_pfn=0x1, referenced=0, none_or_zero=511, status=lack_referenced_page, unmapped=0",
      "      khugepaged-57      [001] .....     0.000001: mm_khugepaged_scan_pmd: mm=000000008d075072, scan_pfn=0xffffffffffffffff, referenced=0, none_or_zero=0, status=pmd_none, unmapped=0",
      // MADV_COLLAPSE at t = 1 ms: PMD 0 collapses; PMD 1 is pmd_none, which 6.18's
      // madvise_collapse() does not continue past: -EINVAL.
      "            task-1000    [000] .....     0.001000: mm_collapse_huge_page_isolate: scan_pfn=0x1, none_or_zero=511, referenced=0, status=succeeded",
      "            task-1000    [000] .....     0.001000: mm_collapse_huge_page: mm=000000008d075072, isolated=1, status=succeeded",
      "            task-1000    [000] .....     0.001000: mm_khugepaged_scan_pmd: mm=000000008d075072, scan_pfn=0x1, referenced=0, none_or_zero=511, status=succeeded, unmapped=0",
      "            task-1000    [000] .....     0.001000: mm_khugepaged_scan_pmd: mm=000000008d075072, scan_pfn=0xffffffffffffffff, referenced=0, none_or_zero=0, status=pmd_none, unmapped=0",
    ]);
  });

  test("Tracer.ftrace() starts with the nop tracer's header and counts the entries", async () => {
    const k = await scenario(core, "lazyfree-skip", 1);
    const text = k.tracer.ftrace();
    const n = k.tracer.events.length;
    expect(text.split("\n").slice(0, 3)).toEqual(["# tracer: nop", "#", `# entries-in-buffer/entries-written: ${n}/${n}   #P:2`]);
    for (const line of traceLines(k)) {
      expect(line).toMatch(/^ {0,15}\S{1,16}-\d+ +\[\d{3}\] \.{5} +\d+\.\d{6}: (mm_khugepaged_scan_pmd|mm_collapse_huge_page|mm_collapse_huge_page_isolate|mm_collapse_huge_page_swapin|mm_khugepaged_scan): \w+=/);
    }
  });

  test("Tracer.jsonLines() parses line by line into the same events", async () => {
    const k = await scenario(core, "lazyfree-skip", 1);
    const lines = k.tracer.jsonLines().trimEnd().split("\n");
    expect(lines.length).toBe(k.tracer.events.length);
    const parsed = lines.map((l) => JSON.parse(l));
    parsed.forEach((o, i) => {
      const e = k.tracer.events[i];
      expect(o).toMatchObject({ ts: e.ts / 1e9, task: e.comm, pid: e.pid, event: e.event, ...Object.fromEntries(e.fields) });
    });
    const kinds = new Set(parsed.map((o) => o.event));
    for (const ev of ["mm_khugepaged_scan_pmd", "mm_collapse_huge_page", "mm_collapse_huge_page_isolate", "mm_collapse_huge_page_swapin", "mm_khugepaged_scan"]) {
      expect(kinds.has(ev), ev).toBe(true);
    }
  });

  test.each(["baseline", "lazyfree-skip", "lazyfree-keep"])("the same scenario and seed give a byte-identical trace (%s)", async (variant) => {
    const a = await scenario(core, variant, 7);
    const b = await scenario(core, variant, 7);
    expect(a.tracer.events.length).toBeGreaterThan(50);
    expect(b.tracer.ftrace()).toBe(a.tracer.ftrace());
    expect(b.tracer.jsonLines()).toBe(a.tracer.jsonLines());
    const c = await scenario(core, variant, 8);
    expect(c.tracer.ftrace()).not.toBe(a.tracer.ftrace());
  });
});
