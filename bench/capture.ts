/**
 * Capture and import of a real 1 GiB process (bench/native/capture_target.c, built with
 * the machine's C compiler): the capture rate in GiB of mapped memory per second (smaps,
 * pagemap, kpageflags; root gives pfns and kpageflags), the snapshot's size, and the time
 * to decode it, import it into a kernel and run one full khugepaged scan under two
 * variants. Writes bench/results/capture.json; skipped, with the reason, without a C
 * compiler or on a machine without /proc/PID/pagemap.
 *
 * Usage: tsx bench/capture.ts
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fullScan } from "../host/fullscan/full_scan.ts";
import { getVariant } from "../host/kernel/variants/mod.ts";
import { KhugepagedKernel } from "../host/khugepaged/khugepaged_kernel.ts";
import { createCore } from "../host/node/load_core.ts";
import { captureProcesses } from "../host/node/proc_capture.ts";
import { decodeSnapshot, encodeSnapshot } from "../host/snapshot/format.ts";
import { importSnapshot } from "../host/snapshot/import.ts";

const RESULTS = new URL("results/capture.json", import.meta.url);
const REPEATS = 3;

function write(result: Record<string, unknown>): void {
  mkdirSync(path.dirname(fileURLToPath(RESULTS)), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(JSON.stringify(result) + "\n");
}

const skip = !existsSync("/proc/self/pagemap") ? "no /proc/PID/pagemap" : undefined;
let exe = "";
try {
  exe = path.join(mkdtempSync(path.join(os.tmpdir(), "khugesim-bench-")), "capture_target");
  execFileSync("cc", ["-O1", "-o", exe, fileURLToPath(new URL("native/capture_target.c", import.meta.url))]);
} catch {
  exe = "";
}
if (skip || exe === "") {
  write({ skipped: skip ?? "no C compiler (cc) to build the 1 GiB target" });
  process.exit(0);
}

const target = spawn(exe, [], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise<void>((resolve) => target.stdout!.on("data", (d: Buffer) => { if (d.toString().includes("ready")) resolve(); }));
try {
  const captures: number[] = [];
  let snapshot = await captureProcesses([target.pid!]);
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    snapshot = await captureProcesses([target.pid!]);
    captures.push((performance.now() - t0) / 1000);
  }
  const mappedGiB = snapshot.processes[0].vmas.reduce((n, v) => n + v.end - v.start, 0) / 1024 ** 3;
  const bytes = await encodeSnapshot(snapshot);

  const phases = { decodeS: [] as number[], importS: [] as number[], scanS: [] as number[] };
  let results: unknown;
  for (let i = 0; i < REPEATS; i++) {
    const { memory, core } = await createCore();
    const t0 = performance.now();
    const decoded = await decodeSnapshot(bytes);
    const t1 = performance.now();
    const k = new KhugepagedKernel({ core: memory, scanCore: core.simd, variant: getVariant("baseline"), trace: false });
    importSnapshot(k, decoded);
    const t2 = performance.now();
    const report = fullScan(k, { configs: [{ variant: "baseline" }, { variant: "lazyfree-skip" }] });
    const t3 = performance.now();
    phases.decodeS.push((t1 - t0) / 1000);
    phases.importS.push((t2 - t1) / 1000);
    phases.scanS.push((t3 - t2) / 1000);
    results = Object.fromEntries(report.summaries.map((s) => [s.variant, s.results]));
  }
  const best = (xs: number[]) => Math.min(...xs);
  const captureS = best(captures);
  write({
    root: process.getuid?.() === 0,
    sources: snapshot.sources,
    mappedGiB,
    captureS,
    captureGiBPerS: mappedGiB / captureS,
    snapshotBytes: bytes.length,
    decodeS: best(phases.decodeS),
    importS: best(phases.importS),
    fullScanS: best(phases.scanS),
    importAndScanS: best(phases.decodeS.map((d, i) => d + phases.importS[i] + phases.scanS[i])),
    scanResults: results,
    runs: { captures, ...phases },
  });
} finally {
  target.kill("SIGKILL");
}
