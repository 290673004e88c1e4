/**
 * `khugesim calibrate`: measure ticks per access on this machine (access_measure.ts), fit the
 * parts cost model on those runs and the paper's rows (host/tlb/cost_calibration.ts), print
 * every point measured against predicted, and write the fitted preset with its held-out
 * error to a JSON file that a scenario's `machine.costPreset` can name. On a guest, the
 * host's page size is not visible from inside: with `--host-pages auto` it is what a chase
 * over one THP shows (host_pages.ts), or where that cannot tell, both 4 KiB and 2 MiB are
 * fitted and the one that predicts this machine's points better is written.
 *
 * @example
 * khugesim calibrate --out my-machine.json
 * khugesim calibrate --host-pages 4k --reps 5 --out guest.json
 */
import { Command, Option } from "commander";
import { formatCalibration } from "../report/calibration_table.ts";
import { calibrate, calibratedPreset, calibrationPoints } from "../tlb/cost_calibration.ts";
import { localCaches } from "../tlb/local_points.ts";
import type { VirtualizationName } from "../tlb/cost_presets.ts";
import { createTlbRef } from "../tlb/tlb_ref.ts";
import { virtualizationOf } from "../tlb/virtualization.ts";
import { hostPageEvidence } from "../tlb/host_pages.ts";
import { localTicks, measureAccessCost } from "./access_measure.ts";
import { checkOutputPaths, writeFilesAtomically } from "./atomic_write.ts";
import { decimalInteger, UsageError } from "./usage.ts";

const HOST_PAGES = ["auto", "none", "4k", "2m", "1g"] as const;

interface CalibrateFlags {
  out: string;
  hostPages: (typeof HOST_PAGES)[number];
  reps: string;
  rounds: string;
}

/** A flag's decimal integer in [1, max], else a UsageError naming it. */
function count(flag: string, text: string, max: number): number {
  const n = decimalInteger(text);
  if (!(n >= 1 && n <= max)) throw new UsageError(`${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return n;
}

async function execute(f: CalibrateFlags): Promise<void> {
  const reps = count("--reps", f.reps, 1000);
  const rounds = count("--rounds", f.rounds, 100_000);
  await checkOutputPaths([{ flag: "--out", path: f.out }]);
  const m = measureAccessCost(reps, rounds, (key, ticks) => process.stderr.write(`${key}: ${ticks.toFixed(2)} ticks/access\n`));
  const local = localTicks(m);
  const evidence = m.guest ? hostPageEvidence(local.ticks) : null;
  if (evidence !== null) {
    process.stdout.write(`Host pages: a chase over one THP takes ${evidence.thpTicks.toFixed(2)} ticks a load, over 96 pages ` +
      `${evidence.fitsTicks.toFixed(2)} and over 128 ${evidence.missesTicks.toFixed(2)}: ${evidence.hostPages === null ? "cannot tell" : `${evidence.hostPages} host pages`}\n`);
  }
  // A guest's host pages as the chases show them, else both fitted and the better kept.
  const auto: VirtualizationName[] = !m.guest ? ["none"] : evidence?.hostPages ? [`nested-${evidence.hostPages}`] : ["nested-4k", "nested-2m"];
  const candidates: VirtualizationName[] = f.hostPages === "auto" ? auto : [f.hostPages === "none" ? "none" : `nested-${f.hostPages}`];
  const fits = candidates.map((v) => ({ v, c: calibrate(calibrationPoints(local, virtualizationOf(v)), createTlbRef) }));
  for (const { v, c } of fits) process.stdout.write(`\n${formatCalibration(`${m.cpu}, virtualization ${v}`, c)}`);
  const presets = fits.map(({ v, c }) => ({ c, preset: calibratedPreset(c, "calibrated", v, m.tscHz, `${m.cpu}, ${m.date}`, localCaches(local), local.scatter) }));
  // The host page size whose preset errs least on this machine's points.
  const best = presets.reduce((a, b) => (b.preset.error.cycles < a.preset.error.cycles ? b : a));
  const preset = { ...best.preset, calibration: { rows: best.c.rows, measurement: m } };
  await writeFilesAtomically([{ flag: "--out", path: f.out, data: JSON.stringify(preset, null, 2) + "\n" }]);
  process.stdout.write(`\nWrote ${f.out}: virtualization ${preset.virtualization}, error ±${(100 * preset.error.cycles).toFixed(1)} %\n`);
}

/** The `calibrate` command, for the CLI program to add. */
export function calibrateCommand(): Command {
  return new Command("calibrate")
    .description("measure ticks per access on this machine (needs cc), fit the parts cost model and write it with its held-out error")
    .requiredOption("--out <file>", "the preset file to write (JSON), for a scenario's machine.costPreset")
    .addOption(new Option("--host-pages <size>", "the host's page size under this guest; auto: as a chase over one THP shows it, else 4k and 2m fitted and the better kept")
      .choices(HOST_PAGES).default("auto"))
    .option("--reps <n>", "runs of each loop, interleaved", "11")
    .option("--rounds <n>", "rounds of 32,768 accesses per run", "300")
    .exitOverride()
    .action(execute);
}
