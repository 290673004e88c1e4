/**
 * `khugesim report <pid|snapshot|scenario> [--variants LIST] [--json]`: the per-VMA THP
 * report of host/report/snapshot_report.ts for a live process (captured in memory, nothing
 * written), a snapshot file, or each task of a scenario at the end of its run under each
 * variant.
 */
import { stat } from "node:fs/promises";
import { Command } from "commander";
import { getVariant } from "../kernel/variants/mod.ts";
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
import { parseVariants } from "./usage.ts";

interface ReportFlags {
  variants?: string;
  json?: boolean;
}

/** Import `s` into a fresh kernel on `engine`, scan it under each variant, report it; the core memory is given back. */
function reportOf(s: Snapshot, engine: Engine, variants: string[]): SnapshotReport {
  const mark = engine.memory.usedBytes;
  try {
    const k = new KhugepagedKernel({ core: engine.memory, scanCore: engine.scanCore, variant: getVariant(variants[0]), trace: false });
    const imported = importSnapshot(k, s);
    return snapshotReport(s, imported, scanImportedVmas(k, imported, variants.map((variant) => ({ variant }))), variants);
  } finally {
    engine.memory.rewind(mark);
  }
}

/** Each task of the scenario at the end of its run under `variant`, as a snapshot. */
async function scenarioSnapshot(arg: string, engine: Engine, variant: string): Promise<Snapshot> {
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
  const variants = f.variants !== undefined ? parseVariants(f.variants) : ["baseline", "lazyfree-skip"];
  const { memory, core } = await createCore();
  const engine = wasmEngine(memory, core);
  const isFile = (await stat(target).catch(() => null)) !== null;
  try {
    if (!isFile && /^\s*[0-9]+\s*$/.test(target)) {
      const r = reportOf(await captureProcesses([Number(target)]), engine, variants);
      process.stdout.write(f.json ? JSON.stringify(r) + "\n" : formatSnapshotReport(r));
    } else if (isFile && await isSnapshotFile(target)) {
      const r = reportOf(await readSnapshotFile(target), engine, variants);
      process.stdout.write(f.json ? JSON.stringify(r) + "\n" : formatSnapshotReport(r));
    } else {
      const byVariant: Record<string, SnapshotReport> = {};
      for (const v of variants) byVariant[v] = reportOf(await scenarioSnapshot(target, engine, v), engine, [v]);
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
    .option("--json", "print one JSON object instead of text")
    .action(execute);
}
