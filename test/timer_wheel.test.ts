/**
 * khugepaged's sleeps on the kernel's clock (kernel/time/timer.c, kernel/time/time.c):
 * msecs_to_jiffies() rounds up, the wheel files a timeout at its level's granule and
 * calc_index() rounds the expiry up to the next granule of absolute jiffies. Expected
 * figures are worked out by hand from LVL_START(n) = 63·8^(n-1) and LVL_GRAN(n) = 8^n.
 */
import { describe, expect, test } from "vitest";
import { Jiffies, msecsToJiffies, tickNs } from "../host/kernel/jiffies.ts";
import { bucketExpiry, wheelLevel } from "../host/kernel/timer_wheel.ts";
import type { PassEvent } from "../host/khugepaged/events.ts";
import { madvise } from "../host/mm/madvise.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { advance, boot, CORES, hotTask } from "./khugepaged_fixture.ts";

/** Per HZ: 10 s in jiffies, the level it lands in, that level's granule, and the idle period in jiffies. */
const TEN_SECONDS = [
  { hz: 100, jiffies: 1000, level: 2, granule: 64, period: 1024 }, // 1000 = 15·64 + 40 → 16·64
  { hz: 250, jiffies: 2500, level: 2, granule: 64, period: 2560 }, // 2500 = 39·64 + 4 → 40·64
  { hz: 300, jiffies: 3000, level: 2, granule: 64, period: 3008 }, // 3000 = 46·64 + 56 → 47·64
  { hz: 1000, jiffies: 10000, level: 3, granule: 512, period: 10240 }, // 10000 = 19·512 + 272 → 20·512
] as const;

describe("jiffies and the timer wheel", () => {
  test("tickNs() is TICK_NSEC: whole ns, 3 333 333 at HZ=300", () => {
    expect([100, 250, 300, 1000].map(tickNs)).toEqual([10_000_000, 4_000_000, 3_333_333, 1_000_000]);
  });

  test.each(TEN_SECONDS)("HZ=$hz: msecs_to_jiffies(10000) = $jiffies, filed in level $level", ({ hz, jiffies, level }) => {
    expect(msecsToJiffies(10_000, hz)).toBe(jiffies);
    expect(wheelLevel(jiffies, hz)).toBe(level);
  });

  test("msecsToJiffies() rounds a part of a tick up", () => {
    expect(msecsToJiffies(1, 250)).toBe(1);
    expect(msecsToJiffies(5, 250)).toBe(2);
    expect(msecsToJiffies(10, 300)).toBe(3);
    expect(msecsToJiffies(0, 1000)).toBe(0);
  });

  test("wheelLevel() follows LVL_START: 63, 504, 4032, 32256 jiffies", () => {
    expect([0, 62, 63, 503, 504, 4031, 4032, 32255, 32256].map((d) => wheelLevel(d, 250)))
      .toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4]);
  });

  test("bucketExpiry() moves an expiry already on a granule boundary one granule later", () => {
    expect(bucketExpiry(640, 0, 250)).toBe(704); // level 2, 640 = 10·64
    expect(bucketExpiry(641, 0, 250)).toBe(704);
    expect(bucketExpiry(10, 0, 250)).toBe(11); // level 0: granule 1
    expect(bucketExpiry(0, 0, 250)).toBe(1); // schedule_timeout(0) still waits for the next tick
  });

  test("bucketExpiry() cuts a timeout beyond the last level to WHEEL_TIMEOUT_MAX, on that level's grid", () => {
    const cutoff = 63 * 8 ** 8; // LVL_START(9) at HZ=250 (9 levels)
    const last = bucketExpiry(4e9, 0, 250);
    expect(last % 8 ** 8).toBe(0);
    expect(last).toBeLessThanOrEqual(cutoff);
  });

  test("Jiffies maps a fractional jiffiesAtStart to the tick grid", () => {
    const j = new Jiffies(250, 10.5); // t = 0 is halfway through jiffy 10
    expect(j.at(0)).toBe(10);
    expect(j.timeOf(11)).toBe(2_000_000);
    expect(j.at(1_999_999)).toBe(10);
    expect(j.at(2_000_000)).toBe(11);
  });

  test("Jiffies refuses an HZ the kernel does not offer", () => {
    expect(() => new Jiffies(200, 0)).toThrow(/kernel\.hz must be one of 100, 250, 300, 1000, got 200/);
  });
});

describe.each(CORES.map((c) => [c.name, c] as const))("%s core: khugepaged on the wheel", (_name, core) => {
  /** Pass events of a kernel whose one mm is all huge already, so no wake-up collapses anything. */
  async function idle(hz: number, jiffiesAtStart = 0): Promise<PassEvent[]> {
    const k = await boot(core, { sysfs: { enabled: "madvise" }, hz, jiffiesAtStart });
    const a = hotTask(k, "A", 2);
    expect(madvise(k, a.mm, a.start, 2 * PMD_SIZE, "MADV_COLLAPSE")).toBe(0);
    const passes: PassEvent[] = [];
    k.khugepaged.events.on("pass", (e) => passes.push(e));
    advance(k, 120_000);
    return passes;
  }

  test.each(TEN_SECONDS)("HZ=$hz: wake-ups that collapse nothing come every $period jiffies", async ({ hz, period }) => {
    const passes = await idle(hz);
    expect(passes.length).toBeGreaterThanOrEqual(10);
    const tick = tickNs(hz);
    // The first wake-up is the registration (t = 0, a grid point here); every later one a period apart.
    for (let i = 1; i < passes.length; i++) expect(passes[i].start - passes[i - 1].start).toBe(period * tick);
  });

  test("HZ=250: the idle period is 10.240 s exactly", async () => {
    const passes = await idle(250);
    expect(passes[2].start - passes[1].start).toBe(10_240_000_000);
  });

  test("jiffiesAtStart moves the grid: wake-ups fall where jiffies is a multiple of 64", async () => {
    const passes = await idle(250, 1000.25);
    const j = new Jiffies(250, 1000.25);
    for (const p of passes.slice(1)) {
      expect(j.at(p.start) % 64).toBe(0);
      expect(j.timeOf(j.at(p.start))).toBe(p.start);
    }
    // From the registration at t = 0 (jiffy 1000): 1000 + 2500 = 3500 → 55·64 = 3520.
    expect(j.at(passes[1].start)).toBe(3520);
  });

  test.each(TEN_SECONDS)("HZ=$hz: after a collapsing pass the next wake-up is the first grid point after end + 10 s",
    async ({ hz, jiffies, granule }) => {
      // Collapses slow enough that the pass ends many ticks after it began.
      const k = await boot(core, { sysfs: { enabled: "madvise" }, hz, costs: { allocNs: 150_000_000 } });
      hotTask(k, "A", 24);
      const passes: PassEvent[] = [];
      k.khugepaged.events.on("pass", (e) => passes.push(e));
      advance(k, 40_000);
      expect(passes.length).toBeGreaterThanOrEqual(3);
      const tick = tickNs(hz);
      for (let i = 1; i < passes.length; i++) {
        expect(passes[i - 1].end - passes[i - 1].start).toBeGreaterThan(1_000_000_000); // 8 collapses of > 150 ms
        const endJiffy = Math.floor(passes[i - 1].end / tick);
        const next = passes[i].start / tick;
        expect(Number.isInteger(next)).toBe(true);
        expect(next % granule).toBe(0);
        expect(next).toBeGreaterThan(endJiffy + jiffies);
        expect(next - granule).toBeLessThanOrEqual(endJiffy + jiffies);
      }
    });
});
