/**
 * The per-size THP controls hugepages-<N>kB/enabled (mm/huge_memory.c anon_enabled_store,
 * thp_vma_allowable_orders, hugepage_pmd_enabled / the mTHP series' hugepage_enabled) and
 * start_stop_khugepaged() on a write to any of them.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { defaultTunables, readTunable, TunableError, TUNABLE_PATHS, writeTunable } from "../host/kernel/tunables.ts";
import { hugepageEnabled, orderEnabled, PER_SIZE_CHOICES, PMD_ORDER, sizeOrder, THP_SIZES_KB } from "../host/kernel/thp_sizes.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import type { Variant } from "../host/kernel/variant.ts";
import { NS_PER_MS } from "../host/kernel/event_queue.ts";
import { advance, boot, CORES, type CoreKind, hotTask, recordPasses, thrown } from "./khugepaged_fixture.ts";

describe("hugepages-<N>kB/enabled", () => {
  test("every x86-64 anonymous size from 16 kB (order 2) to 2048 kB (PMD order) has the file; 2048kB inherits, the rest are never", () => {
    const t = defaultTunables();
    expect(THP_SIZES_KB.map(sizeOrder)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    for (const kb of THP_SIZES_KB) {
      expect(TUNABLE_PATHS).toContain(`hugepages-${kb}kB/enabled`);
      expect(readTunable(t, `hugepages-${kb}kB/enabled`)).toBe(
        kb === 2048 ? "always [inherit] madvise never" : "always inherit madvise [never]");
    }
  });

  test("takes each choice, with echo's newline, and shows it in brackets", () => {
    const t = defaultTunables();
    for (const c of PER_SIZE_CHOICES) {
      writeTunable(t, "hugepages-64kB/enabled", `${c}\n`);
      expect(t.hugepages[64]).toBe(c);
      expect(readTunable(t, "hugepages-64kB/enabled")).toContain(`[${c}]`);
    }
  });

  test.each([
    ["hugepages-64kB/enabled", "sometimes", "EINVAL"],
    ["hugepages-64kB/enabled", " always", "EINVAL"],
    ["hugepages-64kB/enabled", "", "EINVAL"],
    // The top level has no inherit: it is what inherit refers to.
    ["enabled", "inherit", "EINVAL"],
    // hugepages-8kB is the page cache's only: it has no enabled file on x86-64.
    ["hugepages-8kB/enabled", "always", "ENOENT"],
    ["hugepages-4096kB/enabled", "always", "ENOENT"],
    ["hugepages-48kB/enabled", "always", "ENOENT"],
    ["hugepages-64kB/defrag", "always", "ENOENT"],
  ])("%s = %j fails with %s and leaves every value", (path, value, errno) => {
    const t = defaultTunables();
    const before = JSON.stringify(t);
    const e = thrown(() => writeTunable(t, path, value));
    expect(e).toBeInstanceOf(TunableError);
    expect(e).toMatchObject({ errno, path });
    expect(JSON.stringify(t)).toBe(before);
  });

  test("an unknown size's error names the sizes that exist", () => {
    expect((thrown(() => writeTunable(defaultTunables(), "hugepages-8kB/enabled", "always")) as Error).message)
      .toMatch(/ENOENT.*hugepages-16kB.*hugepages-2048kB/);
  });

  test("an order is allowed by always, by madvise on a VM_HUGEPAGE VMA, and by inherit as the top level would allow it", () => {
    const tops = ["always", "madvise", "never"] as const;
    fc.assert(fc.property(fc.constantFrom(...tops), fc.constantFrom(...PER_SIZE_CHOICES), fc.constantFrom(...THP_SIZES_KB),
      fc.boolean(), (top, per, kb, vmHuge) => {
        const t = defaultTunables();
        writeTunable(t, "enabled", top);
        writeTunable(t, `hugepages-${kb}kB/enabled`, per);
        const eff: string = per === "inherit" ? top : per;
        expect(orderEnabled(t, sizeOrder(kb), vmHuge)).toBe(eff === "always" || (eff === "madvise" && vmHuge));
      }));
  });

  test("khugepaged is wanted for the PMD size only before mTHP collapse, for any size with it", () => {
    const t = defaultTunables();
    writeTunable(t, "hugepages-2048kB/enabled", "never");
    expect(hugepageEnabled(t, false)).toBe(false);
    expect(hugepageEnabled(t, true)).toBe(false);
    writeTunable(t, "hugepages-64kB/enabled", "madvise");
    expect(hugepageEnabled(t, false)).toBe(false);
    expect(hugepageEnabled(t, true)).toBe(true);
    // inherit follows the top level: off with it.
    writeTunable(t, "hugepages-64kB/enabled", "inherit");
    writeTunable(t, "enabled", "never");
    expect(hugepageEnabled(t, true)).toBe(false);
    writeTunable(t, "hugepages-2048kB/enabled", "always");
    expect(hugepageEnabled(t, false)).toBe(true);
    expect(orderEnabled(t, PMD_ORDER, false)).toBe(true);
  });
});

describe.each(CORES.map((c): [string, CoreKind] => [c.name, c]))("%s core", (_name, core) => {
  test("hugepages-2048kB/enabled=never stops khugepaged even with the top level on; inherit starts it again", async () => {
    const k = await boot(core, { variant: "baseline", sysfs: { enabled: "madvise" } });
    const p = recordPasses(k);
    const a = hotTask(k, "A", 16);
    advance(k, 1);
    expect(k.khugepaged.cursor.mm).toBe(a.mm);
    k.writeTunable("hugepages-2048kB/enabled", "never");
    expect(k.khugepaged.cursor.mm).toBe(null);
    const stopped = p.length;
    advance(k, 60_000);
    expect(p).toHaveLength(stopped);
    k.writeTunable("hugepages-2048kB/enabled", "inherit");
    advance(k, 1);
    expect(p).toHaveLength(stopped + 1);
    expect(p[stopped].start).toBe(60_001 * NS_PER_MS);
  });

  /** `variant` as a kernel with the mTHP series' hugepage_enabled(). */
  const withMthp = (v: Variant): Variant => ({ ...v, mthpCollapse: true });

  test.each([
    ["without mTHP collapse, a 64 kB size alone leaves khugepaged stopped", false],
    ["with mTHP collapse, a 64 kB size alone keeps khugepaged running", true],
  ])("%s", async (_t, mthp) => {
    const base = getVariant("7.1");
    const k = await boot(core, { variant: mthp ? withMthp(base) : base, sysfs: { enabled: "madvise" } });
    const p = recordPasses(k);
    const a = hotTask(k, "A", 16);
    k.writeTunable("hugepages-64kB/enabled", "always");
    advance(k, 1);
    k.writeTunable("hugepages-2048kB/enabled", "never");
    // The thread that still exists keeps its cursor and scans again later.
    expect(k.khugepaged.cursor.mm).toBe(mthp ? a.mm : null);
    const before = p.length;
    advance(k, 60_000);
    expect(p.length > before).toBe(mthp);
  });

  test("with mTHP collapse, enabling only a small size starts a stopped khugepaged, which scans at once", async () => {
    const k = await boot(core, { variant: withMthp(getVariant("7.1")), sysfs: { enabled: "madvise" } });
    const p = recordPasses(k);
    hotTask(k, "A", 16);
    advance(k, 1);
    k.writeTunable("hugepages-2048kB/enabled", "never");
    advance(k, 20_000);
    const stopped = p.length;
    k.writeTunable("hugepages-16kB/enabled", "always");
    advance(k, 1);
    expect(p).toHaveLength(stopped + 1);
    expect(p[stopped].start).toBe(20_001 * NS_PER_MS);
  });
});
