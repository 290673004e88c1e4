/**
 * `khugesim bench scan`: time khugepaged's scan cores on this machine, over a built-in
 * set of page tables or the PMDs of a generated map, beside the read-rate limit measured
 * in the same run. The figures vary from run to run: they are measurements, not results.
 *
 * @example
 * khugesim bench scan --set 256MiB --engine wasm,simd
 * khugesim bench scan --set my-map.yaml --variant lazyfree-skip --json
 * khugesim bench scan --set 256MiB --variant 7.2     # the mTHP scan: bitmap and window judgement
 */
import { availableParallelism, cpus } from "node:os";
import { Command, Option } from "commander";
import type { ScanBenchReport } from "../bench/scan_bench.ts";
import { SCAN_ENGINES, type ScanEngine, SCAN_SETS, type ScanSetName } from "../bench/scan_set.ts";
import { firstRepeated } from "../core/first_repeated.ts";
import { findVariant, variantChoices } from "../kernel/variants/mod.ts";
import { columns, withCommas } from "../report/format.ts";
import type { SynthSpecInput } from "../synth/spec.ts";
import { createCore } from "./load_core.ts";
import { InputFileError, readDataFile } from "./scenario_source.ts";
import { UsageError } from "./usage.ts";

interface BenchFlags {
  set: string;
  engine: string;
  variant: string;
  time: string;
  json?: boolean;
}

/** --engine, checked: known cores, none twice. */
function enginesOf(list: string): ScanEngine[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = names.find((n) => !(SCAN_ENGINES as readonly string[]).includes(n));
  if (names.length === 0 || bad !== undefined) {
    throw new UsageError(`--engine must list cores from ${SCAN_ENGINES.join(", ")}, got "${list}"`);
  }
  const twice = firstRepeated(names);
  if (twice !== undefined) throw new UsageError(`--engine names "${twice}" twice`);
  return names as ScanEngine[];
}

/** --set: a built-in set's name, else a map description file (as `generate --spec` takes). */
async function setOf(set: string): Promise<ScanSetName | { name: string; map: SynthSpecInput }> {
  if (set in SCAN_SETS) return set as ScanSetName;
  const map = await readDataFile(set, "map description").catch((err: unknown) => {
    if (err instanceof InputFileError && /no such file$/.test(err.message)) {
      throw new UsageError(`--set must be ${Object.keys(SCAN_SETS).join(", ")} or a map description file, got "${set}": no such file`);
    }
    throw err;
  });
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new InputFileError("map description", set, "must hold an object of map description fields");
  }
  return { name: set, map: map as SynthSpecInput };
}

const M = (ptesPerS: number) => `${withCommas(ptesPerS / 1e6)} M`;

/** The report as a table: PTEs/s per core, its margin, and its ratios to the TS twin and the read limit. */
function formatBench(r: ScanBenchReport): string {
  const rows = [["core", "PTEs/s", "±", "× ts", "of read limit"]];
  for (const [e, rate] of Object.entries(r.engines)) {
    const ratio = r.ratios[e as ScanEngine]!;
    rows.push([e, M(rate.ptesPerS), `${rate.rme.toFixed(1)} %`, ratio.toTs === undefined ? "" : ratio.toTs.toFixed(2),
      ratio.toReadLimit.toFixed(2)]);
  }
  rows.push(["read limit", M(r.readLimit.ptesPerS), `${r.readLimit.rme.toFixed(1)} %`, "", "1.00"]);
  const scan = r.mthpScan ? " (mTHP scan: occupied bitmap and window judgement)" : "";
  return `Scan of ${r.set} (${withCommas(r.pmds)} PMDs), variant ${r.variant}${scan}; ${r.runtime}, ${r.cpu ?? "unknown CPU"} ` +
    `(${r.cpus ?? "?"} CPUs)\n${columns(rows, { gap: 2 })}\n`;
}

async function execute(f: BenchFlags): Promise<void> {
  const engines = enginesOf(f.engine);
  if (!findVariant(f.variant)) throw new UsageError(`--variant must be one of ${variantChoices()}, got "${f.variant}"`);
  const maxTime = Number(f.time);
  if (!(/^[0-9.]+$/.test(f.time) && maxTime > 0 && maxTime <= 600)) {
    throw new UsageError(`--time must be seconds per core, more than 0 and at most 600, got "${f.time}"`);
  }
  let set;
  try {
    set = await setOf(f.set);
  } catch (err) {
    if (err instanceof InputFileError) throw new UsageError(err.message);
    throw err;
  }
  const { memory, core } = await createCore();
  // benchmark.js and lodash load only for this command.
  const { runScanBench } = await import("../bench/scan_bench.ts");
  let r: ScanBenchReport;
  try {
    r = await runScanBench(core, memory, {
      set, engines, variant: f.variant, maxTime, runtime: `Node ${process.version}`, cpu: cpus()[0]?.model.trim(),
    });
  } catch (err) {
    // A map description the generator refuses (a bad field, too large for core memory).
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(`--set ${f.set}: ${err.message.replaceAll("generate.", "")}`);
    throw err;
  }
  r = { ...r, cpus: availableParallelism() };
  process.stdout.write(f.json ? JSON.stringify(r, null, 2) + "\n" : formatBench(r));
}

/** The `bench` command and its `scan` subcommand, for the CLI program to add. */
export function benchCommand(): Command {
  // exitOverride before the subcommand is added, which inherits it: bad usage throws to main().
  const bench = new Command("bench").description("microbenchmark parts of the simulator on this machine").exitOverride();
  bench.command("scan")
    .description("time the scan cores (TS twin, WASM, WASM SIMD) in PTEs/s beside the read-rate limit, with benchmark.js")
    .option("--set <set>", `page tables to scan: ${Object.keys(SCAN_SETS).join(", ")} or a map description file (YAML/JSON)`, "cache")
    .option("--engine <list>", `cores to time, comma-separated (${SCAN_ENGINES.join(", ")})`, SCAN_ENGINES.join(","))
    .addOption(new Option("--variant <name>", "kernel variant whose scan rules apply (7.2: the mTHP scan)").default("baseline"))
    .option("--time <s>", "seconds benchmark.js spends on each core, at least", "1")
    .option("--json", "print one JSON object instead of the table")
    .action(execute);
  return bench;
}
