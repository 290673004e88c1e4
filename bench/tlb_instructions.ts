/**
 * Instructions per simulated access of the TLB loop, counted by valgrind's callgrind
 * (an instruction count is repeatable on a loaded machine, where a time is not): the
 * WASM core, the TypeScript twin and the native C twin, on bench/tlb.ts's headline case
 * (Zen 5, uniform loads over the seed's 128 MiB region, every PMD of 4 KiB pages on
 * scattered frames). Each
 * engine runs twice under callgrind, with N and 2N measured accesses after the same
 * warm-up; the difference over N is the steady-state cost of one access, with start-up,
 * compilation and warm-up cancelled out. The WASM core runs with --no-liftoff, so every
 * measured call runs V8's optimised code whatever the tier-up timing, and V8 on one
 * thread (--single-threaded), so the count repeats from run to run.
 *
 * Usage: npx tsx bench/tlb_instructions.ts [wasm,ts,native]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCore } from "../host/node/load_core.ts";
import { AccessStream, createTlbRef, TaskTlb, wasmTlbCore, ZEN5 } from "../host/tlb/mod.ts";
import { benchDirectory, pteFile } from "./pte_tables.ts";

const SELF = fileURLToPath(import.meta.url);
const NATIVE = fileURLToPath(new URL("native/tlb.c", import.meta.url));
/** Warm-up and measured accesses per engine: the TS twin runs about ten times as many instructions per access. */
const SIZES = { wasm: { warmUp: 2 ** 20, n: 2 ** 21 }, ts: { warmUp: 2 ** 18, n: 2 ** 18 }, native: { warmUp: 2 ** 20, n: 2 ** 20 } };
type Engine = keyof typeof SIZES;
/** The native twin times REPEATS runs of TIMED accesses after its warm-up (bench/native/tlb.c). */
const NATIVE_REPEATS = 5;
const REGION = { firstPmd: 1, offset: 37 * 4096, length: 128 * 1024 * 1024 };
const PMDS = 66;
const SEED = 1;

/** Child mode: run `warmUp` then `n` accesses on `engine` in this process. */
async function child(engine: "wasm" | "ts", warmUp: number, n: number): Promise<void> {
  const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
  const dir = benchDirectory(memory, PMDS, () => false, "scattered");
  const tlb = new TaskTlb(memory, engine === "wasm" ? wasmTlbCore(core.exports) : createTlbRef(memory.memory), ZEN5);
  const s = new AccessStream(memory, { dir, ...REGION }, { kind: "uniform" }, SEED);
  tlb.run(s, warmUp);
  if (n > 0) console.log(JSON.stringify(tlb.run(s, n)));
}

/** The instructions callgrind collected running `cmd args`. */
function callgrind(cmd: string, args: string[]): number {
  const out = path.join(os.tmpdir(), `khugesim-callgrind-${process.pid}`);
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, cmd, ...args], { encoding: "utf8" });
  rmSync(out, { force: true });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`Cannot count instructions of ${cmd} ${args.join(" ")}: ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

/** The native twin's arguments; `ptes` is the file of the region's PTE tables. */
function nativeArgs(warmUp: number, timed: number, ptes: string): string[] {
  const arr = (a: { entries: number; ways: number } | null) => (a === null ? "none" : `${a.entries}:${a.ways}`);
  const pwc = ZEN5.pageWalkCaches;
  const basePage = REGION.firstPmd * 512 + REGION.offset / 4096;
  // Any non-zero xoshiro128** state: a uniform stream's cost per access does not depend on its seed.
  return [
    arr(ZEN5.l1), ZEN5.l1Huge === "shared" ? "shared" : arr(ZEN5.l1Huge), arr(ZEN5.l2), ZEN5.l2HoldsHuge ? "shared" : "none",
    arr(pwc.pmd), arr(pwc.pud), arr(pwc.pgd), String(Math.log2(ZEN5.pteCoalescing)), String(basePage),
    String(REGION.length / 4096), "0".repeat(PMDS), ptes, "1", "2", "3", "4", String(warmUp), String(timed),
  ];
}

async function perAccess(engine: Engine): Promise<number> {
  const { warmUp, n } = SIZES[engine];
  if (engine === "native") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "khugesim-native-tlb-"));
    try {
      const bin = path.join(dir, "tlb");
      // valgrind 3.19 decodes no AVX-512: the twin is built for x86-64-v3 (AVX2), not -march=native.
      execFileSync("cc", ["-std=c11", "-O2", "-march=x86-64-v3", "-o", bin, NATIVE]);
      const { memory } = await createCore({ maxBytes: 64 * 1024 * 1024 });
      const ptes = path.join(dir, "ptes");
      writeFileSync(ptes, pteFile(memory, benchDirectory(memory, PMDS, () => false, "scattered"), PMDS));
      const one = callgrind(bin, nativeArgs(warmUp, n, ptes));
      const two = callgrind(bin, nativeArgs(warmUp, 2 * n, ptes));
      return (two - one) / (NATIVE_REPEATS * n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // One V8 thread: no background compile or GC lands in one run and not the other.
  const v8 = ["--single-threaded", ...(engine === "wasm" ? ["--no-liftoff"] : [])];
  const node = [...v8, "--import", "tsx", SELF, "--child", engine, String(warmUp)];
  const one = callgrind(process.execPath, [...node, String(n)]);
  const two = callgrind(process.execPath, [...node, String(2 * n)]);
  return (two - one) / n;
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  await child(argv[1] as "wasm" | "ts", Number(argv[2]), Number(argv[3]));
} else {
  const engines = (argv[0] ?? "wasm,ts,native").split(",") as Engine[];
  for (const e of engines) {
    if (!(e in SIZES)) throw new RangeError(`Cannot count instructions: engine must be one of wasm, ts, native, got "${e}"`);
    console.log(`${e}: ${(await perAccess(e)).toFixed(1)} instructions per access (callgrind, Zen 5, uniform, all 4 KiB)`);
  }
}
