/**
 * The khugesim command line: `run`, `compare`, `presets` and `validate`. Bad input
 * (a scenario file, a preset name, an option) is one line on stderr and exit status 2;
 * output files are written whole or not at all.
 */
import { basename, extname } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { anonHugeChartSvg } from "../report/anon_huge_chart.ts";
import { formatComparison } from "../report/compare_table.ts";
import { HeatmapCollector } from "../report/heatmap.ts";
import { comparisonJson } from "../report/json_report.ts";
import { formatRun } from "../report/run_report.ts";
import { formatWakeups } from "../report/wakeup_table.ts";
import { formatBand } from "../report/band_table.ts";
import { seedBand } from "../run/band.ts";
import { defaultTlbMode } from "../run/exact_default.ts";
import { seriesCsv } from "../report/series_csv.ts";
import { compareScenario, type CompareResult } from "../run/compare.ts";
import type { RunEvent } from "../run/runner.ts";
import type { VariantName } from "../kernel/variants/mod.ts";
import { formatByteSize, PRESETS, presetYaml, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { findPreset } from "../scenario/presets/mod.ts";
import { parseSynthSpec } from "../synth/spec.ts";
import { TLB_PRESETS } from "../tlb/presets.ts";
import { checkOutputPaths, OutputPathError, writeFilesAtomically } from "./atomic_write.ts";
import { captureCommand } from "./cmd_capture.ts";
import { checkTraceCommand } from "./cmd_check_trace.ts";
import { generateCommand } from "./cmd_generate.ts";
import { reportCommand } from "./cmd_report.ts";
import { compareOnWorkers, runsOnWorkers } from "./compare_pool.ts";
import { makeEngine } from "./make_engine.ts";
import { toolInfo } from "./package_version.ts";
import { progressBar } from "./progress.ts";
import { SnapshotFileError } from "./snapshot_file.ts";
import { loadScenarioArg, SCENARIO_ARGUMENT } from "./scenario_source.ts";
import { exitOnStdoutError } from "./stdout_error.ts";
import { sweepCommand } from "./cmd_sweep.ts";
import { benchCommand } from "./cmd_bench.ts";
import { calibrateCommand } from "./cmd_calibrate.ts";
import { decimalInteger, parseVariants, UsageError } from "./usage.ts";

interface RunFlags {
  variants?: string;
  seed?: string;
  tlb?: string;
  exact?: boolean;
  sample?: boolean;
  engine: "wasm" | "ts";
  json?: boolean;
  trace?: string;
  csv?: string;
  svg?: string;
  heatmap?: boolean;
  wakeups?: boolean;
  band?: boolean;
}

/** The scenario with the command line's overrides applied. */
function applyFlags(s: Scenario, flags: RunFlags, minVariants: number): Scenario {
  const out = { ...s };
  if (flags.variants !== undefined) {
    out.variants = parseVariants(flags.variants);
    if (out.variants.length < minVariants) {
      throw new UsageError(`Cannot use --variants "${flags.variants}": compare needs at least two variants, the reference first`);
    }
  } else if (out.variants.length < minVariants) out.variants = ["baseline", "lazyfree-skip"];
  if (flags.seed !== undefined) {
    const seed = decimalInteger(flags.seed);
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) {
      throw new UsageError(`Cannot use --seed "${flags.seed}": expected an integer from 0 to 4294967295`);
    }
    out.seed = seed;
  }
  if (flags.tlb !== undefined) {
    if (!(flags.tlb in TLB_PRESETS)) {
      throw new UsageError(`Cannot use --tlb "${flags.tlb}": expected one of ${Object.keys(TLB_PRESETS).join(", ")}`);
    }
    out.tlb = flags.tlb;
  }
  return out;
}

/** FILE for one variant; FILE with the variant before its extension for several (out.baseline.txt). */
function perVariantPath(path: string, variant: string, many: boolean): string {
  if (!many) return path;
  const ext = extname(path);
  return ext === "" ? `${path}.${variant}` : `${path.slice(0, -ext.length)}.${variant}${ext}`;
}

/** A file an option asks for: a variant's trace, the CSV series or the SVG chart. */
type Output = { flag: "--trace"; path: string; variant: string } | { flag: "--csv" | "--svg"; path: string };

function outputsOf(flags: RunFlags, variants: readonly string[]): Output[] {
  const out: Output[] = [];
  const { trace, csv, svg } = flags;
  const many = variants.length > 1;
  if (trace !== undefined) {
    for (const variant of variants) out.push({ flag: "--trace", path: perVariantPath(trace, variant, many), variant });
  }
  if (csv !== undefined) out.push({ flag: "--csv", path: csv });
  if (svg !== undefined) out.push({ flag: "--svg", path: svg });
  return out;
}

async function outputData(o: Output, c: CompareResult): Promise<string> {
  if (o.flag === "--trace") return c.results[c.variants.indexOf(o.variant)].trace;
  if (o.flag === "--csv") return seriesCsv(c.results);
  return anonHugeChartSvg(c.results);
}

/** --csv and --svg chart the tasks' series: a scenario without tasks (a generated map alone) has none. */
function checkSeriesOutputs(s: Scenario, flags: RunFlags): void {
  const flag = flags.csv !== undefined ? "--csv" : flags.svg !== undefined ? "--svg" : undefined;
  if (flag === undefined || s.tasks.length > 0) return;
  throw new UsageError(`${flag}: scenario "${s.name}" has no tasks, and the time series covers tasks only ` +
    "(a generated map's mms are in the report and in --json)");
}

async function execute(arg: string, flags: RunFlags, mode: "run" | "compare"): Promise<void> {
  const scenario = applyFlags(await loadScenarioArg(arg), flags, mode === "compare" ? 2 : 1);
  const outputs = outputsOf(flags, scenario.variants);
  // Before the run: a bad path should not cost a simulation to find. --trace's FILE,
  // which names the per-variant files, must itself name a file.
  if (flags.trace !== undefined) await checkOutputPaths([{ flag: "--trace", path: flags.trace }]);
  await checkOutputPaths(outputs);
  checkSeriesOutputs(scenario, flags);
  if (flags.heatmap && flags.json) throw new UsageError("--heatmap prints text after the report: it cannot go with --json");
  if (flags.exact && flags.sample) throw new UsageError("--exact and --sample ask for opposite TLB modes: give one");
  const tlbMode = flags.exact ? "exact" : flags.sample ? "sample" : defaultTlbMode(scenario);
  const progress = progressBar(scenario, scenario.variants.length, tlbMode === "exact");
  const heatmap = flags.heatmap ? new HeatmapCollector() : undefined;
  const options = { tlbMode, trace: flags.trace !== undefined, frames: heatmap !== undefined };
  const onEvent = (e: RunEvent) => {
    if (e.type === "interval") progress.onInterval(e.progress);
    else if (e.type === "frame") heatmap?.add(e.frame);
  };
  let c: CompareResult;
  try {
    // Variants are independent runs: with a core to spare, each takes a worker thread, and
    // a long exact run simulates its phases ahead on the others.
    c = runsOnWorkers(scenario, tlbMode)
      ? await compareOnWorkers(scenario, scenario.variants as VariantName[], flags.engine, options, onEvent)
      : await compareScenario(scenario, await makeEngine(flags.engine), { ...options, onEvent });
  } finally {
    progress.stop();
  }
  await writeFilesAtomically(await Promise.all(outputs.map(async (o) => ({ ...o, data: await outputData(o, c) }))));
  if (flags.json) process.stdout.write(comparisonJson(c, { tool: toolInfo(), wakeups: flags.wakeups }));
  else if (mode === "compare") process.stdout.write(formatComparison(c));
  else process.stdout.write(c.results.map(formatRun).join("\n"));
  if (flags.wakeups && !flags.json) process.stdout.write(c.results.map((r) => "\n" + formatWakeups(r)).join(""));
  if (heatmap) process.stdout.write(`\n${heatmap.format()}`);
  if (flags.band) process.stdout.write("\n" + formatBand(await seedBand(scenario, await makeEngine(flags.engine), scenario.variants.at(-1)!)));
}

function runOptions(cmd: Command): Command {
  return cmd
    .option("--variants <list>", "kernel variants, comma-separated, the reference first (baseline, lazyfree-skip, lazyfree-keep)")
    .option("--seed <n>", "override the scenario's seed")
    .option("--tlb <preset>", `override the TLB preset (${Object.keys(TLB_PRESETS).join(", ")})`)
    .option("--exact", "simulate every access in the TLB model instead of sampling long intervals (the default for runs of up to 100 M accesses)")
    .option("--sample", "sample long intervals in the TLB model even where simulating every access is the default")
    .addOption(new Option("--engine <kind>", "cores to compute with").choices(["wasm", "ts"]).default("wasm"))
    .option("--json", "print one JSON object instead of text")
    .option("--trace <file>", "write the trace buffer in ftrace text format to FILE, not a directory (several variants: FILE.VARIANT.ext each)")
    .option("--csv <file>", "write the per-interval time series of every variant and task as CSV (RFC 4180)")
    .option("--heatmap", "after the report, print each task's THP coverage over time and address as a terminal heatmap")
    .option("--svg <file>", "write a chart of AnonHugePages per task over time as SVG, a panel per variant")
    .option("--band", "also re-run the last variant over the timer grid's phase and the collapse cost, and print each task's range")
    .option("--wakeups", "also print khugepaged's wake-ups (start, end, CPU, PMDs, units, collapses, where each pass ended)");
}

/** The program: its commands and their options. */
function buildProgram(): Command {
  const program = new Command("khugesim")
    .description("Simulate Linux khugepaged's scan and collapse over synthetic tasks, with a TLB model")
    .version(toolInfo().version, "--version", "print the version")
    .showHelpAfterError(false)
    .exitOverride();
  runOptions(program.command("run").argument("<scenario>", SCENARIO_ARGUMENT)
    .description("run a scenario under each of its kernel variants and print what each task measured"))
    .action((arg: string, flags: RunFlags) => execute(arg, flags, "run"));
  runOptions(program.command("compare").argument("<scenario>", SCENARIO_ARGUMENT)
    .description("run a scenario without and with the patch and print the patch's comparison table"))
    .action((arg: string, flags: RunFlags) => execute(arg, flags, "compare"));
  program.command("presets")
    .description("list the shipped scenarios, or print one as YAML to start your own from")
    .option("--show <name>", "print preset NAME as a YAML scenario file")
    .action((flags: { show?: string }) => {
      if (flags.show !== undefined) {
        const p = findPreset(flags.show);
        if (!p) throw new ScenarioError(flags.show, "", `is not a preset (presets: ${PRESETS.map((q) => q.name).join(", ")})`);
        process.stdout.write(presetYaml(p));
        return;
      }
      const width = Math.max(...PRESETS.map((p) => p.name.length));
      for (const p of PRESETS) process.stdout.write(`${p.name.padEnd(width)}  ${p.description}\n`);
    });
  program.command("validate").argument("<scenario>", SCENARIO_ARGUMENT)
    .description("check a scenario file and print a summary, or the first error")
    .action(async (arg: string) => {
      const s = await loadScenarioArg(arg);
      const spec = s.generate === undefined ? undefined : parseSynthSpec(s.generate);
      const map = spec ? `, a generated ${formatByteSize(spec.size)} map of ${spec.tasks} mm${spec.tasks === 1 ? "" : "s"}` : "";
      const n = s.imported?.processes.length;
      const imported = n === undefined ? "" : `, an imported snapshot of ${n} process${n === 1 ? "" : "es"}`;
      process.stdout.write(`${basename(arg)}: OK, scenario "${s.name}", ${s.tasks.length} task${s.tasks.length === 1 ? "" : "s"}${map}${imported}, ` +
        `variants ${s.variants.join(", ")}, TLB ${s.tlb}\n`);
    });
  program.addCommand(generateCommand());
  program.addCommand(sweepCommand());
  program.addCommand(benchCommand());
  program.addCommand(calibrateCommand());
  program.addCommand(checkTraceCommand());
  program.addCommand(captureCommand());
  program.addCommand(reportCommand());
  return program;
}

/** Run the CLI on `argv` (process.argv form); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  exitOnStdoutError();
  const program = buildProgram();
  // A usage error is one line: commander's "(Did you mean --seed?)" joins the line it follows.
  const output = { writeErr: (s: string) => process.stderr.write(s), outputError: (s: string, write: (t: string) => void) =>
    write(`${s.trimEnd().replace(/\n+/g, " ")}\n`) };
  for (const cmd of [program, ...program.commands]) cmd.exitOverride().configureOutput(output);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with code 0; usage errors were printed by commander already.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ScenarioError || err instanceof UsageError || err instanceof OutputPathError || err instanceof SnapshotFileError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    const e = err as Error;
    process.stderr.write(`khugesim: ${e?.message ?? String(err)}\n`);
    if (process.env.KHUGESIM_DEBUG) process.stderr.write(`${e?.stack}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/host/node/cli.ts")) {
  process.exitCode = await main(process.argv);
}
