/**
 * The scan microbenchmark in three runtimes on this machine, one after the other: Node
 * (in this process), Deno (the library's sources) and Chromium (the built page's
 * Benchmark panel), each timing the TS twin, WASM and WASM SIMD cores and the read limit
 * with benchmark.js over the same set. Prints one table; writes bench/results/scan_runtimes.json.
 *
 * Usage: npm run bench:runtimes [-- SET]   (SET: cache or 256MiB, default 256MiB)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { runScanBench, type ScanBenchReport } from "../host/bench/scan_bench.ts";
import { createCore } from "../host/node/load_core.ts";
import { columns } from "../host/report/format.ts";
import { serveStatic } from "../test/runtime/static_server.ts";
import { ISOLATION_HEADERS } from "../web/vite.config.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SET = (process.argv[2] ?? "256MiB") as "cache" | "256MiB";
const run = promisify(execFile);

async function inNode(): Promise<ScanBenchReport> {
  const { memory, core } = await createCore();
  return runScanBench(core, memory, { set: SET, runtime: `Node ${process.version}` });
}

async function inDeno(): Promise<ScanBenchReport> {
  const deno = join(ROOT, "node_modules/.bin/deno");
  const { stdout } = await run(deno, ["run", "--no-lock", "--cached-only", "--no-prompt", `--allow-read=${ROOT}`, "--allow-env",
    "bench/deno_scan.ts", SET], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
  return JSON.parse(stdout) as ScanBenchReport;
}

async function inChromium(): Promise<ScanBenchReport> {
  const out = await mkdtemp(join(tmpdir(), "khugesim-bench-web-"));
  const env = { ...process.env };
  delete env.NODE_ENV;
  await run(process.execPath, [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "web", "--outDir", out, "--emptyOutDir",
    "--logLevel", "error"], { cwd: ROOT, env });
  const server = await serveStatic(out, ISOLATION_HEADERS);
  const browser = await chromium.launch({ executablePath: process.env.KHUGESIM_CHROMIUM ?? "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.selectOption("#bench-set", SET);
    await page.click("#bench-run");
    await page.waitForSelector("#bench[data-state=done], #bench[data-state=error]", { timeout: 300_000 });
    const report = await page.getAttribute("#bench", "data-report");
    if (report === null) throw new Error(`Cannot benchmark in Chromium: ${await page.textContent("#bench-status")}`);
    return JSON.parse(report) as ScanBenchReport;
  } finally {
    await browser.close();
    await server.close();
    await rm(out, { recursive: true, force: true });
  }
}

const reports: ScanBenchReport[] = [];
for (const measure of [inNode, inDeno, inChromium]) reports.push(await measure());

const M = (x: number | undefined) => (x === undefined ? "" : `${Math.round(x / 1e6).toLocaleString("en-US")} M`);
const rows = [["runtime", "ts", "wasm", "simd", "read limit", "simd/limit"], ...reports.map((r) => [
  r.runtime.replace(/^Mozilla.* (HeadlessChrome\/\S+).*$/, "$1"), M(r.engines.ts?.ptesPerS), M(r.engines.wasm?.ptesPerS),
  M(r.engines.simd?.ptesPerS), M(r.readLimit.ptesPerS), r.ratios.simd!.toReadLimit.toFixed(2),
])];
console.log(`Scan of ${SET}, PTEs/s:\n${columns(rows, { gap: 2 })}`);
await mkdir(join(ROOT, "bench/results"), { recursive: true });
await writeFile(join(ROOT, "bench/results/scan_runtimes.json"), JSON.stringify(reports, null, 2) + "\n");
console.log("Wrote bench/results/scan_runtimes.json");
