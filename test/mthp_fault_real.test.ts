/**
 * The model's anonymous fault decisions (alloc_anon_folio(): mTHP order choice, window
 * suitability at VMA edges, all-none windows, per-size enabled with inherit/madvise/never,
 * the PMD size beside them) against the running kernel. A child
 * (test/fixtures/mthp_fault_child.c) maps VMAs, madvises and writes pages in a chosen
 * order under chosen hugepages-<N>kB/enabled settings; its folio orders are read from
 * /proc/PID/pagemap and /proc/kpageflags (captureProcesses()); the same steps run through
 * the model's fault path, and each VMA's per-page folio order must be the kernel's.
 *
 * One difference is tolerated, and only with its cause shown: the real buddy allocator
 * may fail an order (fragmentation, memory pressure), which the kernel counts in that
 * size's stats/anon_fault_fallback; a page whose folio is smaller than the model's is
 * accepted only when that counter rose during the case.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { VMA } from "../host/core/layout.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import { THP_SIZES_KB } from "../host/kernel/thp_sizes.ts";
import { touch } from "../host/mm/fault.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { exitMm, fork } from "../host/mm/process.ts";
import { PAGE_SIZE, PMD_SIZE } from "../host/mm/vma.ts";
import { captureProcesses } from "../host/node/proc_capture.ts";
import { PAGE } from "../host/snapshot/snapshot.ts";
import { captureSkip } from "./capture_fixture.ts";
import { boot, CORES, pteAt } from "./khugepaged_fixture.ts";
import { readThp, readThpNumber, THP_DIR, thpEnabledFiles, withRealThp } from "./real_thp_fixture.ts";

const skip = captureSkip ?? (existsSync(`${THP_DIR}/hugepages-16kB/enabled`)
  ? undefined : "the kernel has no per-size mTHP controls (hugepages-<N>kB/enabled, Linux 6.8)");
if (skip) console.warn(`Skipping the real-kernel mTHP fault tests: ${skip}`);

/** A case: THP settings (paths under transparent_hugepage/) and the child's steps (its command lines, or `sys PATH VALUE`). */
interface Case {
  name: string;
  sysfs: Record<string, string>;
  steps: string[];
}

/** Every size off and the top level at madvise, then the case's own settings. */
function settings(c: Case): [string, string][] {
  return Object.entries({ enabled: "madvise", ...Object.fromEntries(THP_SIZES_KB.map((kb) => [`hugepages-${kb}kB/enabled`, "never"])), ...c.sysfs });
}

const ADVICE: Record<string, string> = { hugepage: "MADV_HUGEPAGE", nohugepage: "MADV_NOHUGEPAGE", dontneed: "MADV_DONTNEED" };
/** Where the model puts the child's reservation: 32 PMDs from 1 GiB. */
const MODEL_BASE = 2 ** 30;

/** The regions a case maps, as [first page, pages]. */
const regions = (c: Case) => c.steps.filter((s) => s.startsWith("map ")).map((s) => s.split(" ").slice(1).map(Number));

/** The folio order of every page of each region after the steps in the model: -1 where nothing (or the zero page) is mapped. */
async function modelOrders(c: Case): Promise<number[][]> {
  const k = await boot(CORES[0], { variant: "baseline", sysfs: Object.fromEntries(settings(c)) });
  const mm = k.createMm("child");
  mm.pt.cover(MODEL_BASE / PMD_SIZE, MODEL_BASE / PMD_SIZE + 32);
  const at = (p: string | number) => MODEL_BASE + Number(p) * PAGE_SIZE;
  let forked: Mm | undefined;
  for (const step of c.steps) {
    const [cmd, ...a] = step.split(" ");
    if (cmd === "map") {
      // A MAP_FIXED mapping joins an alike neighbour (vma_merge_new_range()); the model's own
      // mmap() leaves a page between mappings (address_space.ts placeBelow()), so never meets one.
      mm.insertVma({ start: at(a[0]), end: at(Number(a[0]) + Number(a[1])), flags: VMA.VM_WRITE, anonVma: false });
      mm.mergeAround(at(a[0]), at(Number(a[0]) + Number(a[1])));
    } else if (cmd === "madv") madvise(k, mm, at(a[0]), Number(a[1]) * PAGE_SIZE, ADVICE[a[2]]);
    else if (cmd === "w" || cmd === "r") for (const p of a) touch(k, mm, at(p), PAGE_SIZE, cmd === "w");
    else if (cmd === "thp_disable") mm.thpDisabled = a[0] === "1";
    else if (cmd === "uffd_wp") for (const v of mm.vmasOverlapping(at(a[0]), at(Number(a[0]) + Number(a[1])))) v.flags |= VMA.VM_UFFD_ARMED;
    else if (cmd === "sys") writeTunable(k.tunables, a[0], a[1]);
    else if (cmd === "fork") forked = fork(k, mm, "forked");
    else if (cmd === "reap") exitMm(k, forked!);
    else throw new Error(`unknown step ${step}`);
  }
  return regions(c).map(([first, n]) => Array.from({ length: n }, (_, i) => {
    const addr = at(first + i);
    if (mm.huge.has(Math.floor(addr / PMD_SIZE))) return 9;
    const p = pteAt(mm, addr);
    return p.present && !p.zero ? p.order! : -1;
  }));
}

let exe = "";

/** The running kernel lacks what a case needs (the child answered "skip WHY"). */
class KernelLacks extends Error {}

/** The same in the running kernel, with each size's anon_fault_fallback increase over the case (by order). */
async function kernelOrders(c: Case): Promise<{ orders: number[][]; fallbacks: Map<number, number> }> {
  return withRealThp(async (set) => {
    for (const [path, value] of settings(c)) set(path, value);
    const fallback = () => new Map(THP_SIZES_KB.map((kb) => [Math.log2(kb / 4), readThpNumber(`hugepages-${kb}kB/stats/anon_fault_fallback`)]));
    const before = fallback();
    const child = spawn(exe, [], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const reply = async () => {
        const { value, done } = await lines.next();
        if (!done && value.startsWith("skip ")) throw new KernelLacks(value.slice(5));
        if (done || value.startsWith("err")) throw new Error(`mthp_fault_child: ${done ? "exited" : value}`);
        return value as string;
      };
      const base = Number((await reply()).split(" ")[1]);
      // The last step keeps khugepaged away from the child until it is read.
      for (const step of [...c.steps, "thp_disable 1"]) {
        const [cmd, path, value] = step.split(" ");
        if (cmd === "sys") set(path, value);
        else {
          child.stdin!.write(`${step}\n`);
          await reply();
        }
      }
      const after = fallback();
      const snap = await captureProcesses([child.pid!]);
      const vmas = snap.processes[0].vmas;
      const orders = regions(c).map(([first, n]) => Array.from({ length: n }, (_, i) => {
        const addr = base + (first + i) * PAGE_SIZE;
        const v = vmas.find((x) => x.start <= addr && addr < x.end);
        const j = v ? (addr - v.start) / PAGE_SIZE : -1;
        if (!v?.pages || (v.pages.flags[j] & PAGE.PRESENT) === 0 || (v.pages.flags[j] & PAGE.ZERO) !== 0) return -1;
        // A large folio the fault mapped is naturally aligned, virtually and physically.
        if (v.pages.order[j] > 0 && (v.pages.flags[j] & PAGE.ALIGNED) === 0) return -2;
        return v.pages.order[j];
      }));
      return { orders, fallbacks: new Map([...after].map(([o, n]) => [o, n - before.get(o)!])) };
    } finally {
      const exited = child.exitCode !== null || child.signalCode !== null ? undefined : once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  });
}

/** Runs of equal orders, "order×count", for a readable difference. */
const runs = (orders: number[]) => orders.reduce<[number, number][]>((r, o) => {
  if (r.length > 0 && r[r.length - 1][0] === o) r[r.length - 1][1]++;
  else r.push([o, 1]);
  return r;
}, []).map(([o, n]) => `${o}×${n}`).join(" ");

/** Pages [from, from + n) as a step's page list, ascending or descending. */
const pages = (from: number, n: number, down = false) =>
  Array.from({ length: n }, (_, i) => from + (down ? n - 1 - i : i)).join(" ");

async function expectSameAsKernel(c: Case, skipCase: (why: string) => void): Promise<void> {
  const model = await modelOrders(c);
  let real: Awaited<ReturnType<typeof kernelOrders>>;
  try {
    real = await kernelOrders(c);
  } catch (err) {
    if (err instanceof KernelLacks) return skipCase(`the running kernel has ${err.message}`);
    throw err;
  }
  model.forEach((m, r) => {
    const k = real.orders[r];
    const diff = m.flatMap((o, i) => (o === k[i] ? [] : [i]));
    // The one tolerated cause: the kernel could not allocate the model's order and said so.
    if (diff.length > 0 && diff.every((i) => k[i] >= 0 && k[i] < m[i] && (real.fallbacks.get(m[i]) ?? 0) > 0)) {
      console.warn(`${c.name}, region ${r}: the kernel fell back (anon_fault_fallback rose) at ${diff.length} pages`);
      return;
    }
    expect(runs(k), `region ${r} (${regions(c)[r].join(" ")}): the kernel's folio orders`).toBe(runs(m));
  });
}

const on = (kbs: number[], value = "always") => Object.fromEntries(kbs.map((kb) => [`hugepages-${kb}kB/enabled`, value]));

const CASES: Case[] = [
  { name: "64 kB always: a write sweep over an aligned 2 MiB VMA", sysfs: on([64]), steps: ["map 512 512", `w ${pages(512, 512)}`] },
  { name: "16, 64, 256 kB always: one write maps the largest window around it", sysfs: on([16, 64, 256]), steps: ["map 512 512", "w 612"] },
  { name: "16 and 64 kB: a start 16 kB- but not 64 kB-aligned, and an end mid-window", sysfs: on([16, 64]),
    steps: ["map 12 41", `w ${pages(12, 41)}`] },
  { name: "every size: a VMA smaller than the smallest window", sysfs: on([16, 32, 64, 128, 256, 512, 1024]), steps: ["map 1 3", "w 1 2 3"] },
  { name: "16–128 kB: a descending write sweep from an unaligned start", sysfs: on([16, 32, 64, 128]),
    steps: ["map 1029 90", `w ${pages(1029, 90, true)}`] },
  { name: "16 and 64 kB: a read maps the zero page into a window, which then takes no mTHP", sysfs: on([16, 64]),
    steps: ["map 0 32", "r 1", "w 8 0 17", "r 30", `w ${pages(16, 16)}`] },
  { name: "32 and 256 kB: pages written with THP disabled keep their windows from mTHPs", sysfs: on([32, 256]),
    steps: ["map 512 256", "thp_disable 1", "w 520 700", "thp_disable 0", `w ${pages(512, 256)}`] },
  { name: "64 kB madvise, 16 kB always: MADV_HUGEPAGE decides 64 kB", sysfs: { ...on([64], "madvise"), ...on([16]) },
    steps: ["map 0 64", "madv 0 64 hugepage", "map 100 64", `w ${pages(0, 64)} ${pages(100, 64)}`] },
  { name: "32 and 128 kB inherit under top-level madvise: only the MADV_HUGEPAGE VMA", sysfs: on([32, 128], "inherit"),
    steps: ["map 0 64", "madv 0 64 hugepage", "map 100 64", `w ${pages(0, 64)} ${pages(100, 64)}`] },
  { name: "64 kB inherit under top-level never; 16 kB always", sysfs: { enabled: "never", ...on([64], "inherit"), ...on([16]) },
    steps: ["map 0 64", "madv 0 64 hugepage", `w ${pages(0, 64)}`] },
  { name: "every size always: MADV_NOHUGEPAGE faults 4 kB pages", sysfs: on([16, 32, 64, 128, 256, 512, 1024]),
    steps: ["map 0 256", "madv 0 256 nohugepage", `w ${pages(0, 256)}`] },
  { name: "64 kB madvise: MADV_HUGEPAGE over the middle of a VMA splits it", sysfs: on([64], "madvise"),
    steps: ["map 0 96", "madv 24 48 hugepage", `w ${pages(0, 96)}`] },
  { name: "2048 kB inherit beside 512 and 64 kB madvise: the PMD where it fits, mTHPs at the edges", sysfs: { ...on([2048], "inherit"), ...on([512, 64], "madvise") },
    steps: ["map 400 1300", "madv 400 1300 hugepage", `w ${pages(400, 1300)}`] },
  { name: "MADV_DONTNEED empties windows that a later fault under other sizes refills", sysfs: on([16]),
    steps: ["map 0 128", `w ${pages(0, 128)}`, "madv 32 64 dontneed", "sys hugepages-64kB/enabled always", "sys hugepages-128kB/enabled always", `w ${pages(32, 64, true)}`] },
  { name: "64 and 16 kB: MADV_DONTNEED of part of an mTHP, then a write into the hole", sysfs: on([16, 64]),
    steps: ["map 0 32", `w ${pages(0, 32)}`, "madv 4 4 dontneed", "madv 16 8 dontneed", "w 5 22 16"] },
  { name: "64 kB: a write after fork copies 4 kB pages; after the forked child's exit the folio is reused", sysfs: on([64]),
    steps: ["map 0 64", `w ${pages(0, 64)}`, "fork", "w 0 1 2 3", "reap", "w 4 5 6 7", "w 20"] },
  { name: "16 kB: a write to a zero-page PTE copies one 4 kB page", sysfs: on([16]),
    steps: ["map 0 16", "r 0 1 2 3", "w 1 4 5 6 7", "w 0 2 3"] },
  { name: "16–64 kB: a mapping placed next to an alike VMA merges with it, and windows across the old boundary fit", sysfs: on([16, 32, 64]),
    steps: ["map 18 14", "w 31", "map 0 18", "w 17 19 20 1"] },
  { name: "every size below the PMD: a userfaultfd-armed (write-protect mode) VMA faults 4 kB pages", sysfs: on([16, 32, 64, 128, 256, 512, 1024]),
    steps: ["map 0 256", "uffd_wp 0 256", `w ${pages(0, 256)}`, "map 300 64", `w ${pages(300, 64)}`] },
  { name: "2048 kB inherit with MADV_HUGEPAGE: a userfaultfd-wp VMA still takes its PMD at fault", sysfs: { ...on([2048], "inherit"), ...on([64]) },
    steps: ["map 512 1024", "madv 512 1024 hugepage", "uffd_wp 512 1024", `w ${pages(512, 1024)}`] },
];

/** Random cases: a VMA at any page offset, random per-size settings and MADV_HUGEPAGE, pages read or written in random order. */
function randomCases(n: number): Case[] {
  const choice = fc.constantFrom("always", "inherit", "madvise", "never");
  return fc.sample(fc.record({
    first: fc.integer({ min: 0, max: 1023 }), len: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 1100 })), top: fc.constantFrom("always", "madvise", "never"),
    sizes: fc.array(choice, { minLength: 8, maxLength: 8 }), huge: fc.boolean(), pre: fc.array(fc.nat(), { maxLength: 8 }),
    reads: fc.array(fc.nat(), { maxLength: 8 }), order: fc.array(fc.nat(), { maxLength: 40 }),
    // Then, maybe: fork, a MADV_DONTNEED hole, new sizes, and writes into the hole.
    later: fc.option(fc.record({ fork: fc.boolean(), hole: fc.tuple(fc.nat(), fc.nat()), sizes: fc.array(choice, { minLength: 8, maxLength: 8 }),
      order: fc.array(fc.nat(), { maxLength: 20 }) }), { nil: undefined }),
  }), { numRuns: n, seed: 0x6d746870 }).map((r, i) => {
    const page = (x: number) => r.first + (x % r.len);
    const sweep = (order: number[], from: number, n: number) => [...new Set([...order.map(page), ...Array.from({ length: n }, (_, j) => from + j)])];
    // The writes: a few random pages first, then a sweep of the rest.
    const writes = sweep(r.order, r.first, r.len);
    const later: string[] = [];
    if (r.later) {
      const from = page(r.later.hole[0]), n = 1 + (r.later.hole[1] % (r.first + r.len - from));
      later.push(...(r.later.fork ? ["fork"] : []), `madv ${from} ${n} dontneed`,
        ...THP_SIZES_KB.map((kb, j) => `sys hugepages-${kb}kB/enabled ${r.later!.sizes[j]}`),
        `w ${sweep(r.later.order.map((x) => from + (x % n) - r.first), from, n).join(" ")}`);
    }
    return {
      name: `random ${i}: pages ${r.first}+${r.len}, top ${r.top}, sizes ${r.sizes.join("/")}${r.huge ? ", MADV_HUGEPAGE" : ""}${
        r.later ? `, then ${r.later.fork ? "fork, " : ""}a hole refilled under ${r.later.sizes.join("/")}` : ""}`,
      sysfs: { enabled: r.top, ...Object.fromEntries(THP_SIZES_KB.map((kb, j) => [`hugepages-${kb}kB/enabled`, r.sizes[j]])) },
      steps: [
        `map ${r.first} ${r.len}`, ...(r.huge ? [`madv ${r.first} ${r.len} hugepage`] : []),
        ...(r.pre.length > 0 ? ["thp_disable 1", `w ${r.pre.map(page).join(" ")}`, "thp_disable 0"] : []),
        ...(r.reads.length > 0 ? [`r ${r.reads.map(page).join(" ")}`] : []), `w ${writes.join(" ")}`, ...later,
      ],
    };
  });
}

describe.skipIf(skip !== undefined)(`mTHP faults against the running kernel${skip ? ` (skipped: ${skip})` : ""}`, () => {
  beforeAll(() => {
    exe = join(mkdtempSync(join(tmpdir(), "khugesim-mthp-")), "mthp_fault_child");
    execFileSync("gcc", ["-O1", "-o", exe, new URL("./fixtures/mthp_fault_child.c", import.meta.url).pathname]);
  });

  test("withRealThp() puts every enabled file back when its callback throws", async () => {
    const before = thpEnabledFiles().map(readThp);
    const flip = (v: string) => (v === "always" ? "never" : "always");
    await expect(withRealThp((set) => {
      for (const f of thpEnabledFiles()) set(f, flip(readThp(f)));
      expect(thpEnabledFiles().map(readThp)).toEqual(before.map(flip));
      throw new Error("callback failed");
    })).rejects.toThrow("callback failed");
    expect(thpEnabledFiles().map(readThp)).toEqual(before);
  });

  // A case may wait for the real-THP lock while capture_real's suite holds it: room for that.
  test.for([...CASES, ...randomCases(Number(process.env.MTHP_REAL_RUNS ?? 16))].map((c) => [c.name, c] as const))("%s", { timeout: 180_000 }, async ([, c], ctx) =>
    expectSameAsKernel(c, (why) => ctx.skip(why)));
});
