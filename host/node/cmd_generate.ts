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
import { CoreMemory } from "../core/core_memory.ts";
import { firstRepeated } from "../core/first_repeated.ts";
import { SCAN_RESULTS } from "../core/scan_result.ts";
import { defaultTunables, TunableError, writeTunable } from "../kernel/tunables.ts";
import { getVariant, VARIANTS } from "../kernel/variants/mod.ts";
import { fullScan, type FullScanConfig, type FullScanReport } from "../fullscan/full_scan.ts";
import { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { columns } from "../report/format.ts";
import { formatByteSize } from "../core/byte_size.ts";
import { censusMaps } from "../synth/census.ts";
import { generateMap, type SynthMap } from "../synth/generate.ts";
import { MAX_SYNTH_BYTES, parseSynthSpec, type SynthSpecInput, SYNTH_PRESETS } from "../synth/spec.ts";
import { fullScanParallel, MAX_WORKERS } from "./full_scan_pool.ts";
import { type ScanCoreName, scanCoreNamed } from "./load_core.ts";
import { InputFileError, readDataFile } from "./scenario_source.ts";
import { decimalInteger, parseVariants, UsageError } from "./usage.ts";

interface GenerateFlags {
  spec?: string;
  preset?: string;
  size?: string;
  tasks?: string;
  seed?: string;
  vmaSize?: string;
  population?: string;
  fractions?: string;
  sparseNone?: string;
  variety?: string;
  pfns?: "class" | "pmd";
  dedup: boolean;
  madvHugepage?: boolean;
  enabled?: "always" | "madvise" | "never";
  scan?: boolean;
  variants?: string;
  sweep: string[];
  workers?: string;
  engine?: "wasm" | "ts";
  json?: boolean;
}

const SWEEPABLE = ["max_ptes_none", "max_ptes_swap", "max_ptes_shared", "pages_to_scan"] as const;
type Sweepable = (typeof SWEEPABLE)[number];

/** "a=1,b=0.5" → {a: 1, b: 0.5}. */
function keyValues(text: string, option: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = /^([a-z_]+)=(.*)$/.exec(part);
    if (!m) throw new RangeError(`${option} must be key=value pairs separated by commas, got "${part}"`);
    if (!/^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i.test(m[2])) {
      throw new RangeError(`${option}: ${m[1]} must be a non-negative decimal number, got "${m[2]}"`);
    }
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function integer(text: string, option: string): number {
  const n = decimalInteger(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${option} must be an integer, got "${text}"`);
  return n;
}

/** "fixed:1GiB", "uniform:4MiB-64MiB" or "lognormal:64MiB,1.5" → a VMA size distribution. */
function vmaSize(text: string): SynthSpecInput["vmaSize"] {
  const [dist, arg = ""] = text.split(":", 2);
  if (dist === "fixed") return { dist, size: arg };
  if (dist === "uniform") {
    const [min, max] = arg.split("-");
    return { dist, min, max };
  }
  if (dist === "lognormal") {
    const [median, sigma] = arg.split(",");
    return { dist, median, sigma: sigma === undefined ? 1 : Number(sigma) };
  }
  throw new RangeError(`--vma-size must be fixed:SIZE, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA, got "${text}"`);
}

/** --spec's file: an object of map description fields. */
async function specFile(path: string): Promise<Record<string, unknown>> {
  const data = await readDataFile(path, "map description");
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InputFileError("map description", path, "must hold an object of map description fields");
  }
  return data as Record<string, unknown>;
}

/** The flag that gives each field of the map description. */
const FIELD_FLAGS: Readonly<Record<string, string>> = {
  preset: "--preset", size: "--size", tasks: "--tasks", seed: "--seed", vmaSize: "--vma-size",
  population: "--population", fractions: "--fractions", sparseNone: "--sparse-none", variety: "--variety",
  pfns: "--pfns", dedup: "--no-dedup", madvHugepage: "--madv-hugepage",
};

/** The map description and the fields its flags gave ("size", or "fractions.huge": fractions merge). */
interface SpecSource {
  input: SynthSpecInput;
  flagged: string[];
}

/** The map description: --spec's file, then the flags given on top. */
async function specInput(f: GenerateFlags): Promise<SpecSource> {
  const s: SynthSpecInput = f.spec === undefined ? {} : { ...(await specFile(f.spec)) };
  const flagged: string[] = [];
  const set = <K extends keyof SynthSpecInput>(field: K, value: SynthSpecInput[K]): void => {
    s[field] = value;
    flagged.push(field);
  };
  if (f.preset !== undefined) set("preset", f.preset);
  if (f.size !== undefined) set("size", f.size);
  if (f.tasks !== undefined) set("tasks", integer(f.tasks, "--tasks"));
  if (f.seed !== undefined) set("seed", integer(f.seed, "--seed"));
  if (f.vmaSize !== undefined) set("vmaSize", vmaSize(f.vmaSize));
  if (f.population !== undefined) set("population", keyValues(f.population, "--population"));
  if (f.fractions !== undefined) {
    const given = keyValues(f.fractions, "--fractions");
    s.fractions = { ...s.fractions, ...given };
    flagged.push(...Object.keys(given).map((k) => `fractions.${k}`));
  }
  if (f.sparseNone !== undefined) set("sparseNone", integer(f.sparseNone, "--sparse-none"));
  if (f.variety !== undefined) set("variety", f.variety === "unique" ? "unique" : integer(f.variety, "--variety"));
  if (f.pfns !== undefined) set("pfns", f.pfns);
  if (!f.dedup) set("dedup", false);
  if (f.madvHugepage) set("madvHugepage", true);
  return { input: s, flagged };
}

/**
 * parseSynthSpec's message, whose field paths read "generate.size", naming where the
 * field came from instead: the flag that gave it, else the --spec file.
 */
function specMessage(message: string, source: SpecSource, file: string | undefined): string {
  const m = /^generate\.(\S+) (.*)$/s.exec(message);
  if (!m) return message.replaceAll("generate.", "");
  const field = m[1];
  const rest = m[2].replaceAll("generate.", "");
  // A flag's field, a field inside it, or (for the fractions' sum) the field holding it;
  // a message about two fields (size and tasks) goes to the first a flag gave.
  const related = (f: string, g: string) => g === f || f.startsWith(`${g}.`) || g.startsWith(`${f}.`);
  const mentioned = [field, ...[...m[2].matchAll(/generate\.([\w.]*\w)/g)].map((x) => x[1])];
  const flag = mentioned.map((f) => source.flagged.find((g) => related(f, g))).find((g) => g !== undefined);
  if (flag !== undefined) {
    const top = flag.split(".")[0];
    if (field === top) return `${FIELD_FLAGS[top]} ${rest}`;
    if (!field.startsWith(`${top}.`)) return `${FIELD_FLAGS[top]}: ${field} ${rest}`;
    // Inside a flag's value its fields go by their own names: "max must be at least min".
    return `${FIELD_FLAGS[top]}: ${field.slice(top.length + 1)} ${rest.replaceAll(`${top}.`, "")}`;
  }
  return file === undefined ? `${field} ${rest}` : new InputFileError("map description", file, `${field} ${rest}`).message;
}

/** --variants, or every variant when it is not given. */
function variantsOf(f: Pick<GenerateFlags, "variants">): string[] {
  return f.variants === undefined ? [...VARIANTS.keys()] : parseVariants(f.variants);
}

/** One --sweep TUNABLE=V1,V2,…: the tunable and its values, each one sysfs would take. */
function sweepOf(sweep: string): [Sweepable, number[]] {
  const m = /^([a-z_]+)=([0-9,]+)$/.exec(sweep);
  const values = m ? m[2].split(",").filter((s) => s !== "").map((v) => integer(v, "--sweep")) : [];
  if (!m || !(SWEEPABLE as readonly string[]).includes(m[1]) || values.length === 0) {
    const tunables = SWEEPABLE.join(", ");
    throw new RangeError(`--sweep must be TUNABLE=V1,V2,… with TUNABLE one of ${tunables}, got "${sweep}"`);
  }
  const twice = firstRepeated(values);
  if (twice !== undefined) throw new RangeError(`--sweep ${sweep} lists ${twice} twice`);
  // Values sysfs would refuse are refused here, with its message.
  for (const v of values) {
    try {
      writeTunable(defaultTunables(), `khugepaged/${m[1]}`, v);
    } catch (err) {
      if (err instanceof TunableError) throw new UsageError(`--sweep ${sweep}: ${err.message}`);
      throw err;
    }
  }
  return [m[1] as Sweepable, values];
}

/** Every variant × every combination of swept values (`report` takes them too). */
export function configsOf(f: Pick<GenerateFlags, "variants" | "sweep">): FullScanConfig[] {
  let configs: FullScanConfig[] = variantsOf(f).map((variant) => ({ variant }));
  const swept: Sweepable[] = [];
  for (const sweep of f.sweep) {
    const [tunable, values] = sweepOf(sweep);
    // One --sweep lists all of a tunable's values; a second would silently replace the first's.
    if (swept.includes(tunable)) {
      throw new RangeError(`--sweep names ${tunable} twice: list its values in one, e.g. ${tunable}=0,64`);
    }
    swept.push(tunable);
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [tunable]: v })));
  }
  return configs;
}

/** --workers, checked: 0 (this thread) to MAX_WORKERS; undefined when not given. */
function workersOf(f: GenerateFlags): number | undefined {
  if (f.workers === undefined) return undefined;
  const n = decimalInteger(f.workers);
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_WORKERS)) {
    throw new RangeError(`--workers must be an integer from 0 (this thread) to ${MAX_WORKERS}, got "${f.workers}"`);
  }
  return n;
}

/** Options that only shape the scan are refused without --scan rather than ignored. */
function checkScanOnly(f: GenerateFlags): void {
  if (f.scan) return;
  const given: Array<[string, boolean]> = [
    ["--variants", f.variants !== undefined], ["--sweep", f.sweep.length > 0], ["--workers", f.workers !== undefined],
    ["--engine", f.engine !== undefined], ["--enabled", f.enabled !== undefined],
  ];
  const flag = given.find(([, on]) => on)?.[0];
  if (flag !== undefined) throw new RangeError(`${flag} needs --scan`);
}

function formatMap(map: SynthMap): string {
  const s = map.stats;
  const c = censusMaps(map.mms);
  const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
  const ptes = c.tablePmds * 512;
  return [
    `Synthetic map: ${formatByteSize(s.mappedBytes)} in ${map.mms.length} task(s), ${s.vmas} VMAs, ${s.pmds} PMDs`,
    `  PMDs: ${pct(s.hugePmds, s.pmds)} huge, ${pct(s.nonePmds, s.pmds)} without a PTE table, ${s.tablePmds} on ${s.tables} distinct PTE tables`,
    `  pages of PTE-mapped PMDs: ${(["normal", "cold", "swapped", "shared", "lazyfree", "locked", "none"] as const)
      .map((k) => `${k} ${pct(c.ptes[k], ptes)}`).join(", ")}`,
    `  core memory: ${s.coreBytes} bytes, ${Math.round(s.bytesPerMappedGiB)} bytes per mapped GiB`,
    "",
  ].join("\n");
}

function formatScan(r: FullScanReport): string {
  const head = ["", ...r.summaries.map((s) => {
    const swept = SWEEPABLE.filter((t) => r.summaries.some((o) => o.tunables[t] !== s.tunables[t])).map((t) => `${t}=${s.tunables[t]}`);
    return [s.variant, ...swept].join(" ");
  })];
  const rows: string[][] = [head];
  for (const [name] of SCAN_RESULTS) {
    if (r.summaries.some((s) => s.results[name] !== undefined)) rows.push([name, ...r.summaries.map((s) => String(s.results[name] ?? 0))]);
  }
  const n = (f: (s: FullScanReport["summaries"][number]) => number) => r.summaries.map((s) => f(s).toLocaleString("en-US"));
  rows.push(["progress (pages_to_scan units)", ...n((s) => s.progress)]);
  rows.push(["khugepaged_scan_mm_slot calls", ...n((s) => s.calls)]);
  rows.push(["wake-ups at pages_to_scan", ...n((s) => s.passes)]);
  rows.push(["sleep for one full scan (h)", ...r.summaries.map((s) => (s.sleepSeconds / 3600).toFixed(2))]);
  return `One full khugepaged scan: ${r.mms} mm(s), ${r.eligibleVmas} eligible and ${r.ineligibleVmas} ineligible VMAs, ` +
    `${r.pmds} PMDs, ${r.scans.length} distinct scan(s)\n` +
    "SCAN_SUCCEED counts collapse candidates; nothing is collapsed.\n" + columns(rows, { gap: 2 }) + "\n";
}

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
    workers = workersOf(f);
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
    map = generateMap(k, input);
  } catch (err) {
    // A map too large for core memory is refused before anything is built.
    if (err instanceof RangeError) this.error(err.message, { exitCode: 2 });
    throw err;
  }
  const genMs = performance.now() - t0;
  let report: FullScanReport | undefined, scan: { ms: number; workers: number } | undefined;
  if (f.scan) {
    // Starting workers costs about half a second: small maps scan faster on this thread.
    const n = workers ?? (map.stats.pmds < 65536 ? 0 : Math.min(availableParallelism(), MAX_WORKERS));
    const t1 = performance.now();
    report = n === 0 ? fullScan(k, { configs })
      : await fullScanParallel(k, { workers: n, scanCore: coreName, configs, progressBar: true });
    scan = { ms: performance.now() - t1, workers: n };
  }
  reportTimes(genMs, scan);
  if (f.json) {
    const { outcomes: _o, ...scanReport } = report ?? {};
    const json = { spec: map.spec, stats: map.stats, ...(report ? { scan: scanReport } : {}) };
    process.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return;
  }
  process.stdout.write(formatMap(map));
  if (report) process.stdout.write("\n" + formatScan(report));
}

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
    .option("--sweep <tunable=values>", `scan once per value, e.g. max_ptes_none=0,64,511 (${SWEEPABLE.join(", ")}); repeatable`,
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--workers <n>",
      `worker threads for the scan (0: this thread, up to ${MAX_WORKERS}; default: the CPUs, or 0 for small maps)`)
    .addOption(new Option("--engine <kind>", "scan core (default: wasm)").choices(["wasm", "ts"]))
    .option("--json", "print one JSON object instead of text")
    .action(execute);
}
