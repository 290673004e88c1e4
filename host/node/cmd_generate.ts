/**
 * `khugesim generate`: build a synthetic address space from a compact description,
 * print what it cost, and, with --scan, how one full khugepaged scan over it would end
 * under each variant (and each value of a swept tunable), on worker threads. Wall-clock
 * times go to stderr: stdout is the same, byte for byte, for the same input.
 *
 * @example
 * khugesim generate --preset realistic --size 1TiB --scan --variants baseline,lazyfree-skip
 * khugesim generate --size 256GiB --fractions huge=0.3,lazyfree=0.2 --scan --sweep max_ptes_none=0,64,511
 */
import { availableParallelism } from "node:os";
import { Command, Option } from "commander";
import { CoreMemory, MAX_CORE_BYTES } from "../core/core_memory.ts";
import { formatByteSize } from "../core/byte_size.ts";
import { defaultTunables, writeTunable } from "../kernel/tunables.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { fullScan, type FullScanConfig, type FullScanReport } from "../fullscan/full_scan.ts";
import { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { formatMap, formatScan, fullScanJson, SWEEPABLE } from "../report/full_scan_report.ts";
import { generateMap, type SynthMap } from "../synth/generate.ts";
import { MAX_MAP_COUNT } from "../synth/plan.ts";
import { MAX_SYNTH_BYTES, parseSynthSpec, SYNTH_PRESETS } from "../synth/spec.ts";
import { fullScanParallel, MAX_WORKERS } from "./full_scan_pool.ts";
import type { GenerateFlags } from "./generate_flags.ts";
import { checkScanOnly, configsOf } from "./generate_scans.ts";
import { refusalWithFlags, type SpecSource, specInput, specMessage } from "./generate_spec.ts";
import { type ScanCoreName, scanCoreNamed } from "./load_core.ts";
import { toolInfo } from "./package_version.ts";
import { lazyProgressBar } from "./progress.ts";
import { InputFileError } from "./scenario_source.ts";
import { parseWorkers, repeatableOption, UsageError } from "./usage.ts";

/** Bad input: a message naming the flag or file, exit status 2. */
function isInputError(err: unknown): err is Error {
  return err instanceof RangeError || err instanceof TypeError || err instanceof InputFileError || err instanceof UsageError;
}

/** Wall-clock times vary from run to run: they go to stderr, to keep stdout the same for the same input. */
function reportTimes(genMs: number, scan?: { ms: number; workers: number }): void {
  let line = `khugesim: map generated in ${genMs.toFixed(0)} ms`;
  if (scan) {
    line += `, scanned in ${scan.ms.toFixed(0)} ms ` +
      (scan.workers === 0 ? "on the main thread" : `on ${scan.workers} worker thread(s)`);
  }
  process.stderr.write(`${line}\n`);
}

async function execute(this: Command, f: GenerateFlags): Promise<void> {
  let source: SpecSource, configs: FullScanConfig[] = [], workers: number | undefined;
  try {
    checkScanOnly(f);
    workers = parseWorkers(f.workers);
    source = await specInput(f);
    if (f.scan) configs = configsOf(f);
  } catch (err) {
    if (isInputError(err)) this.error(err.message, { exitCode: 2 });
    throw err;
  }
  const input = source.input;
  let madvHugepage: boolean;
  try {
    madvHugepage = parseSynthSpec(input).madvHugepage;
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) this.error(specMessage(err.message, source, f.spec), { exitCode: 2 });
    throw err;
  }
  // Decided before the map is generated: a scan no mm is registered for has nothing to do.
  if (f.scan && (f.enabled === "never" || (f.enabled === "madvise" && !madvHugepage))) {
    const why = f.enabled === "never" ? "--enabled never turns it off" : "no VMA has VM_HUGEPAGE (--madv-hugepage gives it)";
    this.error(`--scan: no mm is registered with khugepaged: ${why}`, { exitCode: 2 });
  }
  const memory = new CoreMemory();
  const coreName: ScanCoreName = f.engine === "ts" ? "ts" : "simd";
  const scanCore = await scanCoreNamed(coreName, memory);
  const tunables = defaultTunables();
  if (f.enabled !== undefined) writeTunable(tunables, "enabled", f.enabled);
  const k = new KhugepagedKernel({ core: memory, scanCore, variant: getVariant(configs[0]?.variant ?? "baseline"), trace: false, tunables });
  const t0 = performance.now();
  let map: SynthMap;
  try {
    const bar = lazyProgressBar("generate");
    try {
      map = generateMap(k, input, { onProgress: bar.update });
    } finally {
      bar.stop();
    }
  } catch (err) {
    // A map too large for core memory is refused before anything is built.
    if (err instanceof RangeError) this.error(refusalWithFlags(err), { exitCode: 2 });
    throw err;
  }
  const genMs = performance.now() - t0;
  let report: FullScanReport | undefined, scan: { ms: number; workers: number } | undefined;
  if (f.scan) {
    // Starting workers costs about half a second: small maps scan faster on this thread.
    const n = workers ?? (map.stats.pmds < 65536 ? 0 : Math.min(availableParallelism(), MAX_WORKERS));
    const t1 = performance.now();
    if (n === 0) {
      const bar = lazyProgressBar("full scan");
      try {
        report = fullScan(k, { configs, onProgress: bar.update });
      } finally {
        bar.stop();
      }
    } else report = await fullScanParallel(k, { workers: n, scanCore: coreName, configs, progressBar: true });
    scan = { ms: performance.now() - t1, workers: n };
  }
  reportTimes(genMs, scan);
  if (f.json) {
    const json = { tool: toolInfo(), ...fullScanJson(map, report) };
    process.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return;
  }
  process.stdout.write(formatMap(map));
  if (report) process.stdout.write("\n" + formatScan(report));
}

/** Every limit a map is refused for, with the flags that move it; the refusals name them too. */
const LIMITS = `
Limits (a refusal says which flag to change):
  --size       a multiple of 2 MiB, at most ${formatByteSize(MAX_SYNTH_BYTES)} in all, and each task at least 2 MiB
  each task    at most ${MAX_MAP_COUNT.toLocaleString("en-US")} VMAs (vm.max_map_count) and 128 TiB of address space:
               raise --tasks or --vma-size
  huge PMDs    at most 8 TiB of them (each maps 2 MiB of synthetic pfns of its own; with --pfns pmd,
               every PMD does): lower --size or --fractions huge
  core memory  the page tables within ${formatByteSize(MAX_CORE_BYTES)}: lower --size, or leave out --no-dedup,
               --pfns pmd and --variety unique, which give PMDs tables of their own
  --workers    0 to ${MAX_WORKERS}`;

/** The `generate` command, for the CLI program to add. */
export function generateCommand(): Command {
  return new Command("generate")
    .description("build a synthetic address space (up to terabytes) and, with --scan, show how one full khugepaged scan would end")
    .option("--spec <file>", "a JSON or YAML map description (flags given override its fields)")
    .addOption(new Option("--preset <name>", "start from a preset").choices(Object.keys(SYNTH_PRESETS)))
    .option("--size <bytes>", `total mapped size, a multiple of 2 MiB up to ${formatByteSize(MAX_SYNTH_BYTES)} (e.g. 1TiB)`)
    .option("--tasks <n>", "number of tasks (mms)")
    .option("--seed <n>", "seed of every random choice")
    .option("--vma-size <dist>", "fixed:SIZE, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA")
    .option("--population <weights>", "weights of full, sparse, mixed and none PMDs, e.g. full=0.8,sparse=0.2")
    .option("--fractions <list>", "fractions of memory: huge, cold, swapped, shared, lazyfree, locked (e.g. huge=0.3,lazyfree=0.1)")
    .option("--sparse-none <n>", "empty PTEs of a sparse PMD (0-512)")
    .option("--variety <n>", "distinct tables per kind of sparse or mixed PMD, or \"unique\"")
    .addOption(new Option("--pfns <mode>", "alike PMDs share pfns (class) or each maps its own (pmd)").choices(["class", "pmd"]))
    .option("--no-dedup", "give every PMD its own PTE table (the dense representation)")
    .option("--madv-hugepage", "give every VMA VM_HUGEPAGE (it matters with --enabled madvise)")
    .addOption(new Option("--enabled <mode>", "transparent_hugepage/enabled: which VMAs khugepaged scans (default: always)")
      .choices(["always", "madvise", "never"]))
    .option("--scan", "run one full khugepaged scan over the map and summarize it")
    .option("--variants <list>", "kernel variants to scan under, comma-separated (default: all)")
    .addOption(repeatableOption("--sweep <tunable=values>", `scan once per value, e.g. max_ptes_none=0,64,511 (${SWEEPABLE.join(", ")}); repeatable`))
    .option("--workers <n>",
      `worker threads for the scan (0: this thread, up to ${MAX_WORKERS}; default: the CPUs, or 0 for small maps)`)
    .addOption(new Option("--engine <kind>", "scan core (default: wasm)").choices(["wasm", "ts"]))
    .option("--json", "print one JSON object instead of text")
    .addHelpText("after", LIMITS)
    .action(execute);
}
