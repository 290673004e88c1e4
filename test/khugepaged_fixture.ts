/**
 * Shared setup of the khugepaged model suites: a simulated kernel on a chosen scan core
 * (the TypeScript twin always; the WASM SIMD core when build/khugesim.wasm loads), the
 * selftest's sysfs settings, and small drivers for the simulated clock.
 */
import { readFile } from "node:fs/promises";
import { CoreMemory } from "../host/core/core_memory.ts";
import { decodePte } from "../host/core/pte.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { TsScanCore } from "../host/core/scan_ref.ts";
import { loadCore } from "../host/core/wasm_core.ts";
import type { PassEvent } from "../host/khugepaged/events.ts";
import { writeTunable } from "../host/kernel/tunables.ts";
import type { Variant } from "../host/kernel/variant.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { mmap } from "../host/mm/fault.ts";
import { KhugepagedKernel, type KhugepagedKernelOptions } from "../host/khugepaged/khugepaged_kernel.ts";
import { madvise } from "../host/mm/madvise.ts";
import type { Mm } from "../host/mm/mm.ts";
import { PMD_SIZE } from "../host/mm/vma.ts";
import { NS_PER_MS } from "../host/kernel/event_queue.ts";

/** How to put a scan core on a fresh core memory. */
export interface CoreKind {
  readonly name: string;
  make(memory: CoreMemory): Promise<ScanCore>;
}

const TS_CORE: CoreKind = { name: "ts", make: async (memory) => new TsScanCore(memory.memory) };

async function wasmKind(): Promise<CoreKind | undefined> {
  if (process.env.KHUGESIM_TS_ONLY) return undefined;
  try {
    const bytes = await readFile(new URL("../build/khugesim.wasm", import.meta.url));
    const probe = await loadCore(new CoreMemory({ maxBytes: 1 << 20 }), bytes);
    if (!probe.simd) return undefined;
    return { name: "simd", make: async (memory) => (await loadCore(memory, bytes)).simd };
  } catch {
    // Not built yet (npm run build): the suites run on the TypeScript twin alone.
    return undefined;
  }
}

/** The scan cores every khugepaged suite runs on. */
export const CORES: readonly CoreKind[] = [TS_CORE, ...[await wasmKind()].filter((c): c is CoreKind => !!c)];

export interface BootOptions {
  variant?: string | Variant;
  /** Physical memory in bytes (default 1 GiB). */
  memoryBytes?: number;
  fragmentation?: number;
  seed?: number;
  /** sysfs writes applied in order, paths relative to transparent_hugepage/. */
  sysfs?: Record<string, string | number>;
  trace?: boolean;
  /** `CONFIG_HZ`, the jiffies at t = 0 and the cost overrides (Kernel's defaults: 250, 0, the measured costs). */
  hz?: number;
  jiffiesAtStart?: number;
  costs?: KhugepagedKernelOptions["costs"];
}

/** A kernel on a fresh core memory with `core`, default tunables, then `o.sysfs` written. */
export async function boot(core: CoreKind, o: BootOptions = {}): Promise<KhugepagedKernel> {
  const memory = new CoreMemory({ maxBytes: 256 * 1024 * 1024 });
  const variant = typeof o.variant === "object" ? o.variant : getVariant(o.variant ?? "baseline");
  const k = new KhugepagedKernel({
    core: memory, scanCore: await core.make(memory), variant, memoryBytes: o.memoryBytes ?? 1024 ** 3,
    fragmentation: o.fragmentation ?? 0, seed: o.seed, trace: o.trace ?? true,
    hz: o.hz, jiffiesAtStart: o.jiffiesAtStart, costs: o.costs,
  });
  for (const [path, value] of Object.entries(o.sysfs ?? {})) writeTunable(k.tunables, path, value);
  return k;
}

/**
 * The settings tools/testing/selftests/mm/khugepaged.c pushes before its cases:
 * enabled=madvise, use_zero_page=0, khugepaged sleeping 10 ms, limits at their defaults.
 */
export const SELFTEST_SYSFS = {
  enabled: "madvise",
  defrag: "always",
  use_zero_page: 0,
  "khugepaged/defrag": 1,
  "khugepaged/alloc_sleep_millisecs": 10,
  "khugepaged/scan_sleep_millisecs": 10,
  "khugepaged/max_ptes_none": 511,
  "khugepaged/max_ptes_swap": 64,
  "khugepaged/max_ptes_shared": 256,
  "khugepaged/pages_to_scan": 4096,
} as const;

/** Run the simulated clock `ms` milliseconds on. */
export function advance(k: KhugepagedKernel, ms: number): void {
  k.clock.runUntil(k.now + ms * NS_PER_MS);
}

/** The PTE mapping `addr` in `mm`, decoded (all fields 0 where the PMD has no PTE table). */
export function pteAt(mm: Mm, addr: number): ReturnType<typeof decodePte> {
  const pmdNo = Math.floor(addr / PMD_SIZE), i = (addr % PMD_SIZE) / 4096;
  return decodePte(mm.pt.pte(pmdNo, i), mm.pt.ptePfn(pmdNo, i));
}

/** PMD-mapped THPs of `mm` inside [start, start + len), counted from its page tables. */
export function hugeIn(mm: Mm, start: number, len: number): number {
  let n = 0;
  for (let a = start; a < start + len; a += PMD_SIZE) if (mm.huge.has(Math.floor(a / PMD_SIZE))) n++;
  return n;
}

/** Trace lines of one event, as ftrace prints them (without the header). */
export function traceLines(k: KhugepagedKernel, event?: string): string[] {
  return k.tracer.ftrace().split("\n").filter((l) => l !== "" && !l.startsWith("#") &&
    (event === undefined || l.includes(` ${event}: `)));
}

/** The recorded events named `event`, each as an object of its fields plus ts and comm. */
export function events(k: KhugepagedKernel, event: string): Array<Record<string, string | number | boolean>> {
  return k.tracer.events.filter((e) => e.event === event)
    .map((e) => ({ ts: e.ts, comm: e.comm, ...Object.fromEntries(e.fields) }));
}

/**
 * A task with `nPmds` × 2 MiB of PMD-aligned anonymous memory, written page by page
 * (4 KiB pages: enabled=madvise and no VM_HUGEPAGE yet), then MADV_HUGEPAGE, which
 * registers the mm with khugepaged.
 */
export function hotTask(k: KhugepagedKernel, name: string, nPmds: number, flags = 0): { mm: Mm; start: number } {
  const mm = k.createMm(name);
  const vma = mmap(k, mm, { len: nPmds * PMD_SIZE, align: PMD_SIZE, populate: true, flags });
  madvise(k, mm, vma.start, nPmds * PMD_SIZE, "MADV_HUGEPAGE");
  return { mm, start: vma.start };
}

/** The error `fn` throws. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("Expected a throw");
}

/** khugepaged's passes from now on, as its event stream reports them. */
export function recordPasses(k: KhugepagedKernel): PassEvent[] {
  const out: PassEvent[] = [];
  k.khugepaged.events.on("pass", (e) => out.push(e));
  return out;
}
