/**
 * sysfs writes and madvise(2) arguments the kernel refuses, with its errno and reason,
 * and what a sysfs write does to a sleeping khugepaged (mm/huge_memory.c enabled_store,
 * mm/khugepaged.c *_store and start_stop_khugepaged, mm/madvise.c madvise_walk_vmas).
 */
import { describe, expect, test } from "vitest";
import { defaultTunables, readTunable, TunableError, writeTunable } from "../host/kernel/tunables.ts";
import { mmap, SyscallError, touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { NS_PER_MS, NS_PER_S } from "../host/kernel/event_queue.ts";
import { advance, boot, CORES, type CoreKind, hotTask, recordPasses, thrown } from "./khugepaged_fixture.ts";

describe("writeTunable()", () => {
  test.each([
    ["khugepaged/max_ptes_none", "512"],
    ["khugepaged/max_ptes_swap", 512],
    ["khugepaged/max_ptes_shared", "600"],
    ["khugepaged/pages_to_scan", "0"],
    ["khugepaged/pages_to_scan", "-1"],
    ["khugepaged/scan_sleep_millisecs", "ten"],
    ["khugepaged/defrag", "2"],
    ["enabled", "sometimes"],
    ["defrag", "maybe"],
    // kstrtouint(buf, 10) and sysfs_streq() refuse what Number() and trim() would take.
    ["khugepaged/max_ptes_none", ""],
    ["khugepaged/max_ptes_none", " "],
    ["khugepaged/max_ptes_none", "0x40"],
    ["khugepaged/max_ptes_none", "1e2"],
    ["khugepaged/max_ptes_none", "64.0"],
    ["khugepaged/max_ptes_none", " 64"],
    ["khugepaged/max_ptes_none", 64.5],
    ["enabled", " always"],
  ])("writeTunable() refuses %s = %j with EINVAL and leaves the value", (path, value) => {
    const t = defaultTunables();
    const before = readTunable(t, path);
    const e = thrown(() => writeTunable(t, path, value));
    expect(e).toBeInstanceOf(TunableError);
    expect(e).toBeInstanceOf(RangeError);
    expect(e).toMatchObject({ path, errno: "EINVAL" });
    expect((e as Error).message).toMatch(new RegExp(`^Cannot write transparent_hugepage/${path}: EINVAL, expected `));
    expect(readTunable(t, path)).toBe(before);
  });

  test("writeTunable() names the rule it applies: max_ptes_none 0-511, pages_to_scan at least 1, enabled's choices", () => {
    const t = defaultTunables();
    expect((thrown(() => writeTunable(t, "khugepaged/max_ptes_none", 512)) as Error).message)
      .toBe('Cannot write transparent_hugepage/khugepaged/max_ptes_none: EINVAL, expected an integer from 0 to 511, got 512');
    expect((thrown(() => writeTunable(t, "khugepaged/pages_to_scan", 0)) as Error).message)
      .toBe('Cannot write transparent_hugepage/khugepaged/pages_to_scan: EINVAL, expected an integer from 1 to 4294967295, got 0');
    expect((thrown(() => writeTunable(t, "enabled", "sometimes")) as Error).message)
      .toBe('Cannot write transparent_hugepage/enabled: EINVAL, expected one of always, madvise, never, got "sometimes"');
  });

  test("writeTunable() takes the edge values and sysfs's trailing newline", () => {
    const t = defaultTunables();
    writeTunable(t, "khugepaged/max_ptes_none", "511\n");
    expect(t.khugepaged.max_ptes_none).toBe(511);
    writeTunable(t, "khugepaged/max_ptes_none", "+64");
    expect(t.khugepaged.max_ptes_none).toBe(64);
    writeTunable(t, "khugepaged/max_ptes_none", 0);
    writeTunable(t, "khugepaged/pages_to_scan", 1);
    writeTunable(t, "khugepaged/scan_sleep_millisecs", 0);
    writeTunable(t, "enabled", "never\n");
    expect(t.khugepaged).toMatchObject({ max_ptes_none: 0, pages_to_scan: 1, scan_sleep_millisecs: 0 });
    expect(readTunable(t, "enabled")).toBe("always madvise [never]");
  });

  test("writeTunable() refuses a file that does not exist with ENOENT", () => {
    expect(thrown(() => writeTunable(defaultTunables(), "khugepaged/full_scans", 1))).toMatchObject({ errno: "ENOENT" });
  });
});

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  const start = () => boot(core, { variant: "baseline", sysfs: { enabled: "madvise" } });

  test("madvise() refuses an unaligned start and an unknown advice with EINVAL, an unmapped range with ENOMEM", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: 2 * PMD_SIZE, populate: true });
    expect(thrown(() => madvise(k, mm, vma.start + 100, PAGE_SIZE, "MADV_FREE"))).toMatchObject({ errno: "EINVAL" });
    expect(thrown(() => madvise(k, mm, vma.start, PAGE_SIZE, "MADV_SOMETIMES"))).toMatchObject({ errno: "EINVAL" });
    expect(thrown(() => madvise(k, mm, vma.start, -1, "MADV_FREE"))).toMatchObject({ errno: "EINVAL" });
    const e = thrown(() => madvise(k, mm, vma.end + PMD_SIZE, PAGE_SIZE, "MADV_HUGEPAGE"));
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ errno: "ENOMEM" });
    expect(madvise(k, mm, vma.start, 0, "MADV_FREE")).toBe(0);
  });

  test("madvise() over a hole still advises the mapped part, then fails with ENOMEM", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const vma = mmap(k, mm, { len: PMD_SIZE, populate: true });
    expect(thrown(() => madvise(k, mm, vma.start, 2 * PMD_SIZE, "MADV_FREE"))).toMatchObject({ errno: "ENOMEM" });
    expect(k.vmstat.pglazyfree).toBe(512);
  });

  test("madvise(MADV_COLLAPSE) returns -EINVAL for VM_NOHUGEPAGE and for memory never written", async () => {
    const k = await start();
    const mm = k.createMm("t");
    const a = mmap(k, mm, { len: PMD_SIZE, populate: true });
    madvise(k, mm, a.start, PMD_SIZE, "MADV_NOHUGEPAGE");
    expect(madvise(k, mm, a.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(-22);
    const b = mmap(k, mm, { len: PMD_SIZE });
    expect(madvise(k, mm, b.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(-22);
    touch(k, mm, b.start, PAGE_SIZE, true);
    expect(madvise(k, mm, b.start, PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    // A range ending on a PMD boundary but holding no whole PMD collapses nothing: 0.
    expect(madvise(k, mm, b.start + PAGE_SIZE, PMD_SIZE - PAGE_SIZE, "MADV_COLLAPSE")).toBe(0);
  });

  test("Kernel.writeTunable() of scan_sleep_millisecs ends the current sleep at once", async () => {
    const k = await start();
    const p = recordPasses(k);
    hotTask(k, "A", 1);
    advance(k, 1000);
    k.writeTunable("khugepaged/scan_sleep_millisecs", 2000);
    advance(k, 1);
    expect(p.map((e) => e.start)).toEqual([0, NS_PER_S]);
    advance(k, 2100);
    // 2000 ms = 500 jiffies at HZ=250, level 1 (granule 8): from jiffy 250 (t = 1 s, the
    // pass takes under a tick) 250 + 500 = 750 rounds up to 752 jiffies = 3.008 s.
    expect(p[2].start).toBe(752 * 4 * NS_PER_MS);
  });

  test("Kernel.writeTunable() of alloc_sleep_millisecs ends the allocation back-off at once", async () => {
    const k = await boot(core, { variant: "baseline", sysfs: { enabled: "madvise" }, memoryBytes: 64 * PMD_SIZE, fragmentation: 1 });
    const p = recordPasses(k);
    hotTask(k, "A", 4);
    advance(k, 5000);
    expect(p).toEqual([]); // still in the 60 s back-off of wake-up 1
    k.writeTunable("khugepaged/alloc_sleep_millisecs", 60000);
    advance(k, 1);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ start: 0, allocSlept: true });
    expect(p[0].end).toBeGreaterThanOrEqual(5000 * NS_PER_MS);
  });

  test("Kernel.writeTunable(\"enabled\") stops khugepaged on never and starts it again, scanning at once", async () => {
    const k = await start();
    const p = recordPasses(k);
    const a = hotTask(k, "A", 16);
    advance(k, 1);
    expect(k.khugepaged.cursor.mm).toBe(a.mm);
    k.writeTunable("enabled", "never");
    expect(k.khugepaged.cursor.mm).toBe(null);
    advance(k, 60_000);
    expect(p).toHaveLength(1);
    k.writeTunable("enabled", "madvise");
    advance(k, 1);
    expect(p).toHaveLength(2);
    expect(p[1].start).toBe(60_001 * NS_PER_MS);
    // Back at the list head: the pass starts over at A's first PMD (now huge).
    expect(p[1].passThroughHead).toBe(1);
  });

  test("Kernel.writeTunable(\"enabled\") with THP on does not cut the timed scan sleep short", async () => {
    const k = await start();
    const p = recordPasses(k);
    hotTask(k, "A", 1);
    advance(k, 1000);
    k.writeTunable("enabled", "always");
    advance(k, 1000);
    expect(p).toHaveLength(1);
  });
});
