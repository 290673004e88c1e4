/**
 * `khugesim check-trace <scenario> <trace>`: run the scenario with tracing on and check a
 * real kernel's trace of the same workload against it (host/trace_check). Exit 0 when
 * every PMD row matches and every wake-up starts within the tolerance, 1 otherwise, 2
 * for bad input (a trace line that is not one of these events, mms that cannot be tied).
 */
import { readFile } from "node:fs/promises";
import { Command } from "commander";
import type { VariantName } from "../kernel/variants/mod.ts";
import { formatTraceCheck } from "../report/check_trace_report.ts";
import { wasmEngine } from "../run/engine.ts";
import { runScenario } from "../run/runner.ts";
import { checkRunTrace, TieError } from "../run/trace_check.ts";
import { parseTrace, TraceParseError } from "../kernel/trace_parse.ts";
import { createCore } from "./load_core.ts";
import { loadScenarioArg } from "./scenario_source.ts";
import { parseVariants, repeatableOption, UsageError } from "./usage.ts";

interface CheckFlags {
  variant?: string;
  map: string[];
  tolerance: string;
}

/** --map mm=task, repeatable or comma-separated: the trace's mm pointer as printed → a task. */
function parseMap(items: readonly string[], tasks: readonly string[]): Map<string, string> | undefined {
  if (items.length === 0) return undefined;
  const out = new Map<string, string>();
  for (const item of items.flatMap((s) => s.split(","))) {
    const m = /^\s*(\S+)=(\S+)\s*$/.exec(item);
    if (!m) throw new UsageError(`Cannot use --map "${item}": expected mm=task, the mm as the trace prints it`);
    if (!tasks.includes(m[2])) throw new UsageError(`Cannot use --map "${item}": the scenario has no task "${m[2]}" (${tasks.join(", ")})`);
    out.set(m[1], m[2]);
  }
  return out;
}

/** --tolerance PERCENT: the largest start error, as a percentage of the time since the first wake-up. */
function parseTolerance(text: string): number {
  const t = /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(t >= 0 && t <= 100)) throw new UsageError(`Cannot use --tolerance "${text}": expected a percentage from 0 to 100`);
  return t / 100;
}

async function readTrace(path: string) {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`Cannot read trace "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseTrace(text);
  } catch (err) {
    if (err instanceof TraceParseError) throw new UsageError(`Cannot check trace "${path}": ${err.message}`);
    throw err;
  }
}

async function checkTraceAction(scenarioArg: string, tracePath: string, flags: CheckFlags): Promise<void> {
  const scenario = await loadScenarioArg(scenarioArg);
  const variant = flags.variant === undefined ? scenario.variants[0] : parseVariants(flags.variant)[0];
  const tolerance = parseTolerance(flags.tolerance);
  const names = [...scenario.tasks.map((t) => t.name)];
  const map = parseMap(flags.map, names);
  const real = await readTrace(tracePath);
  const { memory, core } = await createCore();
  const result = await runScenario(scenario, wasmEngine(memory, core), { variant: variant as VariantName, trace: true });
  // Passes are apart by at least the scan sleep; half of it splits them (1 ms at the least).
  const gapS = Math.max(1e-3, (Number(scenario.tunables["khugepaged/scan_sleep_millisecs"] ?? 10_000) / 1000) / 2);
  let check;
  try {
    check = checkRunTrace(real, result, { map, tolerance, gapS });
  } catch (err) {
    if (err instanceof TieError) throw new UsageError(`Cannot check trace "${tracePath}": ${err.message}`);
    throw err;
  }
  process.stdout.write(formatTraceCheck(check, tolerance));
  // main() prints this on stderr and exits 1: the check ran, the trace does not agree.
  if (check.failure !== null) throw new Error(`check-trace: the trace departs from the simulation at line ${check.failure.line}`);
}

/** The `check-trace` command, for cli.ts to add. */
export function checkTraceCommand(): Command {
  return new Command("check-trace")
    .description("compare a real kernel's khugepaged trace (ftrace text, trace-cmd report or perf script) with the scenario's simulated run")
    .argument("<scenario>", "a JSON or YAML scenario file, - for standard input, or a preset name")
    .argument("<trace>", "the real trace: mm_khugepaged_scan_pmd and mm_collapse_huge_page* events as text")
    .option("--variant <name>", "the kernel variant to simulate (default: the scenario's first)")
    .addOption(repeatableOption("--map <mm=task>", "tie a trace mm (as printed) to a task; repeatable or comma-separated", "scan order"))
    .option("--tolerance <percent>", "largest start error, in percent of the time since the first wake-up", "1")
    .action(checkTraceAction);
}
