/**
 * `khugesim capture` on a real process the test starts (test/fixtures/capture_child.c):
 * the snapshot against what the child did, and a simulated khugepaged pass over it
 * against what the kernel's own smaps says. Needs root, /proc/kpageflags and gcc; where
 * the machine's THP setting decides a region's pages, that check says so and skips.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeSnapshot } from "../host/snapshot/format.ts";
import { anonHugePagesKb, smapsRollup } from "../host/mm/smaps.ts";
import { PAGE_IDLE_BITMAP } from "../host/node/page_idle.ts";
import { captureProcesses } from "../host/node/proc_capture.ts";
import { importSnapshot } from "../host/snapshot/import.ts";
import { parseSmaps } from "../host/snapshot/smaps_text.ts";
import { thpCounters } from "../host/report/snapshot_report.ts";
import { isAnonPrivate, PAGE, type Snapshot, type SnapshotVma } from "../host/snapshot/snapshot.ts";
import { scanImportedVmas } from "../host/fullscan/imported_vmas.ts";
import { type Child, captureSkip, machineThp, startChild } from "./capture_fixture.ts";
import { runMain } from "./cli_in_process.ts";
import { holdRealThp, withRealThp } from "./real_thp_fixture.ts";
import { synthKernel } from "./synth_fixture.ts";

// Read (and below, fault the child) under the real-THP lock: another test may have changed the setting for a while.
const thp = captureSkip ? machineThp() : await withRealThp(() => machineThp());
if (captureSkip) console.warn(`Skipping the real-process capture tests: ${captureSkip}`);
const title = (t: string) => (captureSkip ? `${t} (skipped: ${captureSkip})` : t);
/** Why the THP-dependent checks cannot run here, or undefined. */
const thpSkip = thp === undefined ? "the kernel has no THP" : thp === "never" ? "transparent_hugepage/enabled is never" : undefined;
/** E and L fault as small pages only where THP is not "always". */
const smallSkip = thp === "always" ? "transparent_hugepage/enabled is always: E and L fault as THPs" : undefined;

describe.skipIf(captureSkip !== undefined)(title("capture of a real process"), () => {
  let child: Child;
  let snap: Snapshot;
  const vma = (name: string): SnapshotVma => {
    const r = child.regions[name];
    const v = snap.processes[0].vmas.find((x) => x.start === r.start);
    if (!v) throw new Error(`no VMA starts at region ${name}`);
    return v;
  };
  /** How many of the region's pages have every bit of `set` and none of `clear`. */
  const count = (name: string, set: number, clear = 0) =>
    vma(name).pages!.flags.reduce((n, f) => n + ((f & set) === set && (f & clear) === 0 ? 1 : 0), 0);
  const pages = (name: string) => child.regions[name].length / 4096;
  /** `kb` lies between the region's smaps LazyFree at the capture's start and now (lazy-free pages only grow). */
  const expectWithin = (kb: number, name: string) => {
    const now = parseSmaps(readFileSync(`/proc/${child.pid}/smaps`, "utf8")).find((v) => v.start === child.regions[name].start)!;
    expect(kb).toBeGreaterThanOrEqual(vma(name).smaps.LazyFree);
    expect(kb).toBeLessThanOrEqual(now.smaps.LazyFree);
  };

  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await holdRealThp();
    child = await startChild();
    snap = await captureProcesses([child.pid]);
  }, 60_000);
  afterAll(() => {
    child?.stop();
    release?.();
  });

  test("captureProcesses() reads pfns and kpageflags as root, and every region as a VMA of its own", () => {
    expect(snap.sources).toMatchObject({ pagemap: true, pfns: true, kpageflags: true });
    for (const [name, r] of Object.entries(child.regions)) expect(vma(name).end - vma(name).start, name).toBe(r.length);
  });

  test("written small pages are present, anonymous, swap-backed and of order 0; rewritten after fork, exclusive", () => {
    const anon = PAGE.PRESENT | PAGE.ANON | PAGE.SWAPBACKED | PAGE.EXCLUSIVE;
    expect(count("B", anon)).toBe(pages("B"));
    expect(vma("B").pages!.order.every((o) => o === 0)).toBe(true);
  });

  test("MADV_FREE before fork leaves lazy-free pages (not swap-backed) shared with the forked child", () => {
    // A folio still in a per-CPU LRU batch is made lazy-free only when the batch drains,
    // which may happen between the capture's smaps and kpageflags reads: smaps before and after bound it.
    expect(vma("C").smaps.LazyFree).toBeGreaterThan(0);
    expectWithin(count("C", PAGE.PRESENT | PAGE.ANON, PAGE.SWAPBACKED | PAGE.EXCLUSIVE) * 4, "C");
    expect(count("C", PAGE.PRESENT | PAGE.ANON, PAGE.EXCLUSIVE)).toBe(pages("C"));
  });

  test("read faults map the zero page", () => {
    expect(count("D", PAGE.PRESENT | PAGE.ZERO)).toBe(pages("D"));
  });

  test.skipIf(thpSkip !== undefined)(`MADV_HUGEPAGE memory is PMD-mapped THPs, as smaps' AnonHugePages counts${thpSkip ? ` (skipped: ${thpSkip})` : ""}`, () => {
    const pmdMapped = count("A", PAGE.PRESENT | PAGE.PMD_MAPPED | PAGE.ALIGNED);
    expect(pmdMapped * 4).toBe(vma("A").smaps.AnonHugePages);
    expect(pmdMapped).toBe(pages("A"));
    expect(vma("A").vmFlags).toContain("hg");
  });

  test.skipIf(smallSkip !== undefined)(`MADV_FREE after fork leaves exclusive lazy-free small pages${smallSkip ? ` (skipped: ${smallSkip})` : ""}`, () => {
    expect(vma("L").smaps.LazyFree).toBeGreaterThan(0);
    expectWithin(count("L", PAGE.PRESENT | PAGE.ANON | PAGE.EXCLUSIVE, PAGE.SWAPBACKED) * 4, "L");
    expect(count("L", PAGE.PRESENT | PAGE.ANON | PAGE.EXCLUSIVE)).toBe(pages("L"));
    expect(count("E", PAGE.PRESENT | PAGE.ANON | PAGE.SWAPBACKED | PAGE.EXCLUSIVE)).toBe(pages("E"));
  });

  test("--idle-wait records the sleeping child's pages as not accessed, or names page_idle as not captured", async () => {
    const s = await captureProcesses([child.pid], { idleWaitS: 0.2 });
    if (!existsSync(PAGE_IDLE_BITMAP)) {
      expect(s.sources.pageIdle).toBe(false);
      expect(s.missing.some((m) => m.startsWith(`${PAGE_IDLE_BITMAP} cannot be used`))).toBe(true);
      return;
    }
    expect(s.sources.pageIdle).toBe(true);
    const b = s.processes[0].vmas.find((v) => v.start === child.regions.B.start)!;
    expect(b.pages!.flags.filter((f) => (f & PAGE.YOUNG) !== 0)).toHaveLength(0);
  });

  test("importSnapshot() gives the mm the AnonHugePages and LazyFree the kernel's smaps report", async () => {
    const k = await synthKernel();
    const [imported] = importSnapshot(k, snap);
    const anon = snap.processes[0].vmas.filter(isAnonPrivate);
    const sum = (key: string) => anon.reduce((n, v) => n + (v.smaps[key] ?? 0), 0);
    expect(anonHugePagesKb(imported.mm)).toBe(sum("AnonHugePages"));
    const lazy = anon.reduce((n, v) => n + (v.pages?.flags.filter((f) => (f & (PAGE.ANON | PAGE.SWAPBACKED)) === PAGE.ANON).length ?? 0), 0);
    expect(smapsRollup(imported.mm).LazyFree).toBe(lazy * 4);
    expect(lazy * 4).toBeGreaterThanOrEqual(sum("LazyFree"));
    expect(lazy * 4).toBeLessThanOrEqual(parseSmaps(readFileSync(`/proc/${child.pid}/smaps`, "utf8"))
      .filter(isAnonPrivate).reduce((n, v) => n + (v.smaps.LazyFree ?? 0), 0));
  });

  test.skipIf(smallSkip !== undefined)(`a full scan of the import collapses E and L, and lazyfree-skip leaves L${smallSkip ? ` (skipped: ${smallSkip})` : ""}`, async () => {
    const k = await synthKernel();
    const imported = importSnapshot(k, snap);
    const scans = scanImportedVmas(k, imported, [{ variant: "baseline" }, { variant: "lazyfree-skip" }]).vmas;
    const at = (name: string) => imported[0].vmas.findIndex((v) => v.snap.start === child.regions[name].start);
    expect(scans[0][at("E")]).toEqual([{ SCAN_SUCCEED: 2 }, { SCAN_SUCCEED: 2 }]);
    expect(scans[0][at("L")]).toEqual([{ SCAN_SUCCEED: 1 }, { SCAN_PAGE_LAZYFREE: 1 }]);
    // MADV_NOHUGEPAGE regions are not scanned at all.
    for (const name of ["B", "C", "D"]) expect(scans[0][at(name)]).toEqual([{}, {}]);
  });

  test("capture --cgroup takes every process of the cgroup (a v2 cgroup made for the test, then removed)", async (ctx) => {
    const root = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].find((d) => existsSync(`${d}/cgroup.procs`) &&
      readFileSync("/proc/self/mounts", "utf8").includes(` ${d} cgroup2 `));
    if (root === undefined) return ctx.skip("no cgroup v2 hierarchy is mounted");
    const dir = `${root}/khugesim-capture-${process.pid}`;
    const pids = [child.pid, child.forkedPid];
    const home = pids.map((pid) => /^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, "utf8"))![1]);
    mkdirSync(dir);
    try {
      for (const pid of pids) writeFileSync(`${dir}/cgroup.procs`, String(pid));
      const file = `${mkdtempSync(`${tmpdir()}/khugesim-cg-`)}/cg.khs`;
      const o = await runMain("capture", "--cgroup", dir, "--out", file);
      expect(o.stderr).toBe("");
      const s = await decodeSnapshot(new Uint8Array(readFileSync(file)));
      expect(s.processes.map((p) => p.pid).sort()).toEqual([...pids].sort());
    } finally {
      pids.forEach((pid, i) => writeFileSync(`${root}${home[i]}/cgroup.procs`, String(pid)));
      rmdirSync(dir);
    }
  });

  test.skipIf(smallSkip !== undefined)(`khugesim run of a captured file collapses L under baseline and not under lazyfree-skip${smallSkip ? ` (skipped: ${smallSkip})` : ""}`, async () => {
    const file = `${mkdtempSync(`${tmpdir()}/khugesim-run-`)}/child.khs`;
    expect((await runMain("capture", String(child.pid), "--out", file)).code).toBe(0);
    const run = await runMain("run", file, "--variants", "baseline,lazyfree-skip", "--json");
    expect(run.stderr).toBe("");
    const results = JSON.parse(run.stdout).results;
    const collapses = (v: string) => (Object.values(results[v].imported)[0] as { collapses: number }).collapses;
    expect(collapses("lazyfree-skip")).toBe(collapses("baseline") - 1);
  });
});

const MTHP_64K = "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled";
const mthpSkip = captureSkip ?? (existsSync(MTHP_64K) ? undefined : "the kernel has no 64 kB mTHP (hugepages-64kB)");

describe.skipIf(mthpSkip !== undefined)(`capture of mTHPs${mthpSkip ? ` (skipped: ${mthpSkip})` : ""}`, () => {
  test("64 kB mTHPs are recorded as order-4 aligned folios, counted as thpmaps' anon-thp-pte-aligned-64kB", async () => {
    // 64 kB mTHPs for MADV_HUGEPAGE memory only while the child faults its region; the old setting is put back at once.
    const child = await withRealThp((set) => {
      set("hugepages-64kB/enabled", "madvise");
      return startChild("mthp");
    });
    try {
      const s = await captureProcesses([child.pid]);
      const v = s.processes[0].vmas.find((x) => x.start === child.regions.M.start)!;
      expect([...new Set(v.pages!.order)]).toEqual([4]);
      expect(v.pages!.flags.filter((f) => (f & PAGE.HEAD) !== 0)).toHaveLength(v.pages!.flags.length / 16);
      expect(thpCounters(v, "anon")).toEqual({ "anon-thp-pte-aligned-64kB": 1024 });
      expect(v.smaps.AnonHugePages).toBe(0);
    } finally {
      child.stop();
    }
  });
});
