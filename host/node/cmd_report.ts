/**
 * `khugesim report <pid|snapshot|scenario> [--variants LIST] [--sweep T=V,…] [--json]`: the per-VMA THP
 * report of host/report/snapshot_report.ts for a live process (captured in memory, nothing
 * written), a snapshot file, or each task of a scenario at the end of its run under each
 * variant.
 */
import { stat } from "node:fs/promises";
import { Command } from "commander";
import type { FullScanConfig } from "../fullscan/full_scan.ts";
import { getVariant, type VariantName } from "../kernel/variants/mod.ts";
import { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { type Engine, wasmEngine } from "../run/engine.ts";
import { runScenario } from "../run/runner.ts";
import { importSnapshot, ImportRefusal } from "../snapshot/import.ts";
import { mmSnapshotProcess, SIMULATED_SOURCES } from "../snapshot/mm_snapshot.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { formatSnapshotReport, type SnapshotReport, snapshotReport } from "../report/snapshot_report.ts";
import { scanImportedVmas } from "../fullscan/imported_vmas.ts";
import { createCore } from "./load_core.ts";
import { CaptureError, captureProcesses } from "./proc_capture.ts";
import { loadScenarioArg } from "./scenario_source.ts";
import { isSnapshotFile, readSnapshotFile } from "./snapshot_file.ts";
import { configsOf } from "./generate_scans.ts";
import { repeatableOption } from "./usage.ts";

interface ReportFlags {
  variants?: string;
  sweep: string[];
  json?: boolean;
}

/** A config's name in the report: its variant, then any tunable it sets ("baseline max_ptes_none=64"). */
function configLabel(c: FullScanConfig): string {
  const { variant, ...tunables } = c;
  return [variant, ...Object.entries(tunables).map(([k, v]) => `${k}=${v}`)].join(" ");
}

/** Import `s` into a fresh kernel on `engine`, scan it under each config, report it; the core memory is given back. */
function reportOf(s: Snapshot, engine: Engine, configs: FullScanConfig[]): SnapshotReport {
  const mark = engine.memory.usedBytes;
  try {
    const k = new KhugepagedKernel({ core: engine.memory, scanCore: engine.scanCore, variant: getVariant(configs[0].variant), trace: false });
    const imported = importSnapshot(k, s);
    return snapshotReport(s, imported, scanImportedVmas(k, imported, configs), configs.map(configLabel));
  } finally {
    engine.memory.rewind(mark);
  }
}

/** Each task of the scenario at the end of its run under `variant`, as a snapshot. */
async function scenarioSnapshot(arg: string, engine: Engine, variant: VariantName): Promise<Snapshot> {
  const scenario = await loadScenarioArg(arg);
  const mark = engine.memory.usedBytes;
  let kernel: KhugepagedKernel | undefined;
  try {
    const r = await runScenario(scenario, engine, { variant, trace: false, onEvent: (e) => { if (e.type === "start") kernel = e.kernel; } });
    const tasks = kernel!.mms.filter((mm) => r.tasks.some((t) => t.pid === mm.id));
    return {
      kernel: `khugesim ${variant}`, capturedAt: `the end of "${scenario.name}" (${r.endS.toFixed(3)} s simulated)`, idleWaitS: 0,
      sources: SIMULATED_SOURCES, thp: {}, missing: [], processes: tasks.map(mmSnapshotProcess),
    };
  } finally {
    engine.memory.rewind(mark);
  }
}

async function execute(this: Command, target: string, f: ReportFlags): Promise<void> {
  let configs: FullScanConfig[];
  try {
    configs = configsOf({ variants: f.variants ?? "baseline,lazyfree-skip", sweep: f.sweep });
  } catch (err) {
    if (err instanceof RangeError) this.error(err.message, { exitCode: 2 });
    throw err;
  }
  // configsOf checked every name.
  const variants = [...new Set(configs.map((c) => c.variant as VariantName))];
  const { memory, core } = await createCore();
  const engine = wasmEngine(memory, core);
  const isFile = (await stat(target).catch(() => null)) !== null;
  try {
    if (!isFile && /^\s*[0-9]+\s*$/.test(target)) {
      const r = reportOf(await captureProcesses([Number(target)]), engine, configs);
      process.stdout.write(f.json ? JSON.stringify(r) + "\n" : formatSnapshotReport(r));
    } else if (isFile && await isSnapshotFile(target)) {
      const r = reportOf(await readSnapshotFile(target), engine, configs);
      process.stdout.write(f.json ? JSON.stringify(r) + "\n" : formatSnapshotReport(r));
    } else {
      const byVariant: Record<string, SnapshotReport> = {};
      for (const v of variants) {
        byVariant[v] = reportOf(await scenarioSnapshot(target, engine, v), engine, configs.filter((c) => c.variant === v));
      }
      process.stdout.write(f.json ? JSON.stringify({ scenario: target, variants: byVariant }) + "\n"
        : Object.entries(byVariant).map(([v, r]) => `== ${target} under ${v}\n${formatSnapshotReport(r)}`).join("\n"));
    }
  } catch (err) {
    if (err instanceof CaptureError) this.error(err.message, { exitCode: 2 });
    if (err instanceof ImportRefusal) this.error(`Cannot report "${target}": ${err.reason}`, { exitCode: 2 });
    throw err;
  }
}

/** The `report` command, for the CLI program to add. */
export function reportCommand(): Command {
  return new Command("report")
    .argument("<target>", "a pid to capture now, a snapshot file (khugesim capture), or a scenario file or preset")
    .description("per-VMA THP report in the spirit of thpmaps, with what one full khugepaged scan would do to each VMA")
    .option("--variants <list>", "kernel variants to scan under, comma-separated (default: baseline,lazyfree-skip)")
    .addOption(repeatableOption("--sweep <tunable=values>", "scan once per value, e.g. max_ptes_none=0,64,511 (as generate --scan); repeatable"))
    .option("--json", "print one JSON object instead of text")
    .action(execute);
}
