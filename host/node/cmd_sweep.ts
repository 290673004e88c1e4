/**
 * `khugesim sweep`: run a YAML grid of runs on worker threads (or one shard of it, for an
 * array job), merge shards' outputs, or sum an output up as a table, CSV and SVG charts.
 * Wall-clock figures go to stderr: the output is the same, byte for byte, for the same grid.
 *
 * @example
 * khugesim sweep grid.yaml --out runs.jsonl
 * khugesim sweep grid.yaml --shard 3/16 --out runs.3.jsonl
 * khugesim sweep --merge runs.*.jsonl --out runs.jsonl
 * khugesim sweep --summary runs.jsonl
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { Command } from "commander";
import { loadPreset, type Scenario } from "../scenario/mod.ts";
import { findPreset } from "../scenario/presets/mod.ts";
import { expandGrid, parseShard } from "../sweep/run_point.ts";
import { mergeRecords, parseRecords, type RecordLine, SweepOutputError } from "../sweep/sweep_record.ts";
import { SweepSpecError, validateSweepSpec } from "../sweep/sweep_spec.ts";
import { summarizeSweep, summaryCsv, summaryTable } from "../sweep/sweep_summary.ts";
import { checkOutputPaths, type OutputFile, writeFilesAtomically } from "./atomic_write.ts";
import { MAX_WORKERS } from "./full_scan_pool.ts";
import { InputFileError, readDataFile, readScenarioFile } from "./scenario_source.ts";
import { runSweep } from "./sweep_run.ts";
import { parseWorkers, UsageError } from "./usage.ts";

interface SweepFlags {
  out?: string;
  workers?: string;
  shard?: string;
  merge?: string[];
  summary?: string;
  csv?: string;
  svg?: string;
}

/** A grid's scenario: a file (relative to the sweep file) or a preset. */
async function gridScenario(name: string, specPath: string, index: number): Promise<Scenario> {
  const path = resolve(dirname(specPath), name);
  if ((await stat(path).catch(() => null))?.isFile()) return readScenarioFile(path, name);
  if (findPreset(name)) return loadPreset(name);
  throw new SweepSpecError(specPath, `scenario${index < 0 ? "" : `[${index}]`}`, `names neither a file nor a preset: "${name}"`);
}

/** Which of the three things the command was asked to do; the options of the others are refused. */
function modeOf(spec: string | undefined, f: SweepFlags): "run" | "merge" | "summary" {
  const modes = [spec !== undefined && "a sweep file", f.merge !== undefined && "--merge", f.summary !== undefined && "--summary"]
    .filter((m) => m !== false);
  if (modes.length !== 1) {
    throw new UsageError(modes.length === 0 ? "sweep needs a sweep file, --merge FILE… or --summary FILE"
      : `sweep takes one of a sweep file, --merge and --summary, got ${modes.join(" and ")}`);
  }
  const only: Array<[string, boolean, boolean]> = [
    ["--workers", f.workers !== undefined, spec !== undefined], ["--shard", f.shard !== undefined, spec !== undefined],
    ["--out", f.out !== undefined, f.summary === undefined],
    ["--csv", f.csv !== undefined, f.summary !== undefined], ["--svg", f.svg !== undefined, f.summary !== undefined],
  ];
  const wrong = only.find(([, given, allowed]) => given && !allowed);
  if (wrong) throw new UsageError(`${wrong[0]} cannot be used with ${modes[0]}`);
  return spec !== undefined ? "run" : f.merge !== undefined ? "merge" : "summary";
}

async function runMode(specPath: string, f: SweepFlags): Promise<void> {
  const workers = parseWorkers(f.workers);
  const shard = f.shard === undefined ? undefined : parseShard(f.shard);
  if (f.out !== undefined) await checkOutputPaths([{ flag: "--out", path: f.out }]);
  const spec = validateSweepSpec(await readDataFile(specPath, "sweep"), specPath);
  const scenarios: Record<string, Scenario> = {};
  for (const [i, name] of spec.scenarios.entries()) scenarios[name] = await gridScenario(name, specPath, spec.scenarios.length > 1 ? i : -1);
  const r = await runSweep(scenarios, expandGrid(spec), { out: f.out, workers, shard });
  const where = r.workers === 0 ? "on this thread" : `on ${r.workers} worker thread${r.workers === 1 ? "" : "s"}`;
  process.stderr.write(`khugesim: sweep ${r.runs} runs${shard ? ` (shard ${shard.index}/${shard.count})` : ""}: ` +
    `${r.ran} done now (${r.failed} failed), ${r.skipped} already in ${f.out ?? "the output"}; ${r.wallS.toFixed(1)} s ${where}\n`);
}

/** The records of each output file; a killed sweep's half-written last line is left out, with a warning. */
async function readOutputs(paths: readonly string[]): Promise<Array<{ source: string; lines: RecordLine[] }>> {
  return Promise.all(paths.map(async (source) => {
    const text = await readFile(source, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new SweepOutputError(source, err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message);
    });
    const { lines, completeBytes } = parseRecords(text, source);
    if (completeBytes < Buffer.byteLength(text)) {
      process.stderr.write(`khugesim: ${source}: its last line is unfinished (a killed sweep), left out\n`);
    }
    return { source, lines };
  }));
}

async function mergeMode(paths: string[], f: SweepFlags): Promise<void> {
  if (f.out !== undefined) await checkOutputPaths([{ flag: "--out", path: f.out }]);
  const data = mergeRecords(await readOutputs(paths)).map((l) => l.line).join("");
  if (f.out === undefined) process.stdout.write(data);
  else await writeFilesAtomically([{ flag: "--out", path: f.out, data }]);
}

/** FILE without its extension, for the names of the files written beside it. */
function stem(path: string): string {
  const ext = extname(path);
  return ext === "" ? path : path.slice(0, -ext.length);
}

async function summaryMode(path: string, f: SweepFlags): Promise<void> {
  const [{ lines }] = await readOutputs([path]);
  const s = summarizeSweep(lines.map((l) => l.record));
  // echarts loads only for the charts, not with every command.
  const { sweepChartSvg, sweptTunables } = await import("../sweep/sweep_chart.ts");
  const svgStem = f.svg === undefined ? stem(path) : stem(f.svg);
  const files: OutputFile[] = [
    { flag: "--csv", path: f.csv ?? `${stem(path)}.csv`, data: summaryCsv(s) },
    ...sweptTunables(s).map((t) => ({ flag: "--svg", path: `${svgStem}.${t.replaceAll("/", "-")}.svg`, data: sweepChartSvg(s, t) })),
  ];
  await checkOutputPaths(files);
  await writeFilesAtomically(files);
  process.stdout.write(summaryTable(s));
  process.stderr.write(`khugesim: wrote ${files.map((o) => o.path).join(", ")}\n`);
}

/** Input errors of this command, as the CLI's one line with exit status 2. */
function asUsage(err: unknown): unknown {
  const input = err instanceof SweepSpecError || err instanceof SweepOutputError || err instanceof InputFileError ||
    err instanceof RangeError;
  return input ? new UsageError((err as Error).message) : err;
}

async function execute(spec: string | undefined, f: SweepFlags): Promise<void> {
  try {
    const mode = modeOf(spec, f);
    if (mode === "run") await runMode(spec!, f);
    else if (mode === "merge") await mergeMode(f.merge!, f);
    else await summaryMode(f.summary!, f);
  } catch (err) {
    throw asUsage(err);
  }
}

/** The `sweep` command, for the CLI program to add. */
export function sweepCommand(): Command {
  return new Command("sweep")
    .argument("[spec]", "a YAML or JSON sweep file: scenario, variants, tunables and seeds, each a value or a list (docs/sweeps.md)")
    .description("run a grid of scenario × variant × tunables × seed on worker threads, one JSON line per run; merge or sum up outputs")
    .option("--out <file>", "append each run's line to FILE (resumed: runs already in it are skipped), else standard output")
    .option("--workers <n>", `worker threads (0: this thread, up to ${MAX_WORKERS}; default: the CPUs)`)
    .option("--shard <i/n>", "run only shard I of N (0 ≤ I < N), chosen by each run's key: for array jobs")
    .option("--merge <files...>", "merge sweep outputs (shards) into one, in run order, to --out or standard output")
    .option("--summary <file>", "print a table of a sweep output, means over seeds; write CSV and an SVG chart per swept tunable")
    .option("--csv <file>", "with --summary: the CSV file (default: the output's name with .csv)")
    .option("--svg <file>", "with --summary: charts as FILE.TUNABLE.svg (default: beside the output)")
    .action(execute);
}
