/**
 * The native twin of the WASM TLB loop (bench/native/tlb.c): built with the machine's C
 * compiler into a temporary directory, and run on a preset and an access stream exactly
 * as the WASM core sees them, read from the stream block in core memory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD, PTES_PER_PMD } from "../host/core/layout.ts";
import type { AccessStream, TlbArray, TlbCounts, TlbPreset } from "../host/tlb/mod.ts";
import { STREAM_BASE_PAGE, STREAM_DIR, STREAM_PAGES, STREAM_RNG } from "../host/tlb/tlb_layout.ts";
import { pteFile } from "./pte_tables.ts";

const SOURCE = fileURLToPath(new URL("native/tlb.c", import.meta.url));
/** Tried in order: the machine's own instruction set, else the SSSE3 the twin needs at least. */
const FLAG_SETS = [["-O2", "-march=native"], ["-O2", "-mssse3"]];

/** The counts the twin reports: a loads-only run has no stores, and its walks are all walks on loads. */
export type NativeCounts = Pick<TlbCounts, "accesses" | "l1Misses4k" | "l1Misses2m" | "l2Hits" | "walks" | "walkRefs">;

export interface NativeTlbResult {
  /** The counts of the warm-up run, from empty TLBs: what a fresh TaskTlb counts on the same stream. */
  warmUp: NativeCounts;
  /** Accesses per second of the best timed run. */
  accessesPerS: number;
}

export interface NativeTlb {
  /** The compiler flags the twin was built with. */
  readonly flags: readonly string[];
  /**
   * Run `warmUp` accesses of `stream` (uniform, loads only) through empty TLBs of
   * `preset`, then time runs of `timed` accesses that continue it. The stream block is
   * only read: the twin starts from its current PRNG state and does not advance it.
   */
  run(preset: TlbPreset, memory: CoreMemory, stream: AccessStream, warmUp: number, timed: number): NativeTlbResult;
}

/** The twin's argument for an array. */
function arrayArg(a: TlbArray | null): string {
  return a === null ? "none" : `${a.entries}:${a.ways}`;
}

/**
 * The twin's arguments for `preset` and `stream`, in the order bench/native/tlb.c
 * documents; the PTE tables go to the file `ptes`.
 */
function args(preset: TlbPreset, memory: CoreMemory, stream: AccessStream, warmUp: number, timed: number, ptes: string): string[] {
  const { pattern } = stream;
  if (pattern.kind !== "uniform" || (pattern.storeFraction ?? 0) !== 0) {
    throw new RangeError(`Cannot run the native TLB twin: it models uniform loads only, got ${JSON.stringify(pattern)}`);
  }
  const u32 = memory.u32;
  const w = stream.ptr >>> 2;
  const basePage = u32[w + STREAM_BASE_PAGE / 4];
  const pages = u32[w + STREAM_PAGES / 4];
  const dir = u32[w + STREAM_DIR / 4] >>> 2;
  const entries = Math.floor((basePage + pages - 1) / PTES_PER_PMD) + 1;
  const huge = Array.from(u32.subarray(dir, dir + entries), (e) => ((e & PMD.HUGE) !== 0 ? "1" : "0")).join("");
  const rng = Array.from(u32.subarray(w + STREAM_RNG / 4, w + STREAM_RNG / 4 + 4), String);
  writeFileSync(ptes, pteFile(memory, dir << 2, entries));
  const pwc = preset.pageWalkCaches;
  return [
    arrayArg(preset.l1), preset.l1Huge === "shared" ? "shared" : arrayArg(preset.l1Huge),
    arrayArg(preset.l2), preset.l2HoldsHuge ? "shared" : "none",
    arrayArg(pwc.pmd), arrayArg(pwc.pud), arrayArg(pwc.pgd), String(Math.log2(preset.pteCoalescing)),
    String(basePage), String(pages), huge, ptes, ...rng, String(warmUp), String(timed),
  ];
}

/** Compile the twin into `dir` with the first flag set the compiler accepts; returns those flags. */
function compile(dir: string): string[] {
  const errors: string[] = [];
  for (const flags of FLAG_SETS) {
    try {
      execFileSync("cc", ["-std=c11", ...flags, "-o", path.join(dir, "tlb"), SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
      return flags;
    } catch (err) {
      errors.push(`cc ${flags.join(" ")}: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
    }
  }
  throw new Error(`Cannot build the native TLB twin ${SOURCE}:\n${errors.join("\n")}`);
}

/**
 * Build the twin with `cc`, or say why it is skipped: no compiler on PATH, or a machine
 * without the x86 SIMD its narrow sets are written in. A compiler that fails on an x86
 * machine is an error, not a skip: the twin's source would be broken.
 */
export function buildNativeTlb(): { tlb: NativeTlb } | { skipped: string } {
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { skipped: "no C compiler (cc) on PATH" };
    throw err;
  }
  if (process.arch !== "x64" && process.arch !== "ia32") {
    return { skipped: `the native twin is written with x86 SSSE3 intrinsics, this machine is ${process.arch}` };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "khugesim-native-tlb-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const flags = compile(dir);
  const binary = path.join(dir, "tlb");
  return {
    tlb: {
      flags,
      run(preset, memory, stream, warmUp, timed) {
        const ptes = path.join(dir, "ptes");
        const out = execFileSync(binary, args(preset, memory, stream, warmUp, timed, ptes), { encoding: "utf8" });
        const { accessesPerS, ...warmUpCounts } = JSON.parse(out) as NativeCounts & { accessesPerS: number };
        return { warmUp: warmUpCounts, accessesPerS };
      },
    },
  };
}
