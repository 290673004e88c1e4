/** `khugesim calibrate`: bad flags refused in one line before measuring; on a machine with cc, a preset file written whole. */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { localTicks } from "../host/node/access_measure.ts";
import { parseCostPreset } from "../host/scenario/cost_preset_schema.ts";
import { calibrationPoints, presetRows } from "../host/tlb/cost_calibration.ts";
import { LOCAL_POINTS, pointKey } from "../host/tlb/local_points.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";
import { runMain } from "./cli_in_process.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-calibrate-"));
});

/** Why the real measurement cannot run here, or null. */
function skipReason(): string | null {
  if (process.platform !== "linux" || process.arch !== "x64") return "the measuring program needs x86-64 Linux (rdtsc, smaps)";
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
  } catch {
    return "no C compiler (cc) to build bench/native/access_cost.c";
  }
  return null;
}

describe("khugesim calibrate", () => {
  test("refuses a bad count or an unwritable --out in one line, exit 2, writing nothing", async () => {
    for (const [args, message] of [
      [["--reps", "0"], '--reps must be an integer from 1 to 1000, got "0"'],
      [["--rounds", "1e3"], '--rounds must be an integer from 1 to 100000, got "1e3"'],
      [["--out", join(dir, "missing", "p.json")], `--out: cannot write ${join(dir, "missing", "p.json")}: no such directory ${join(dir, "missing")}`],
    ] as const) {
      const r = await runMain("calibrate", "--out", join(dir, "p.json"), ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(message);
      expect(r.stdout).toBe("");
    }
    expect(await readdir(dir)).toEqual([]);
  });

  const reason = skipReason();
  test.skipIf(reason !== null)(`measures this machine and writes the fitted preset with every point${reason ? ` (skipped: ${reason})` : ""}`, async () => {
    const out = join(dir, "cal.json");
    const r = await runMain("calibrate", "--out", out, "--reps", "1", "--rounds", "2", "--host-pages", "2m");
    expect(r.stderr.split("\n").filter((l) => !/ticks\/access$/.test(l)).join("\n")).toBe("");
    expect(r.code).toBe(0);
    const preset = JSON.parse(await readFile(out, "utf8"));
    expect(preset.virtualization).toBe("nested-2m");
    // The file is a preset a scenario's machine.costPreset takes.
    expect("preset" in parseCostPreset(preset)).toBe(true);
    const rows: Array<{ inFit: boolean; kind: string; label: string; error: number; predictedTicks: number }> = preset.calibration.rows;
    // The paper's two "without" rows and this machine's fitted points; one run of each, so no scatter: the stated error is this machine's largest.
    expect(rows.filter((p) => p.inFit)).toHaveLength(2 + LOCAL_POINTS.filter((p) => p.inFit).length);
    expect(preset.error.cycles).toBe(Math.max(...rows.filter((p) => p.kind.startsWith("local-")).map((p) => Math.abs(p.error))));
    const measurement = preset.calibration.measurement;
    expect(Object.keys(measurement.points)).toEqual(expect.arrayContaining(LOCAL_POINTS.map((p) => pointKey(p.pattern, p.pages, p.mib))));
    // Round trip: the preset read back predicts its own measurement's points as the fit did.
    const read = parseCostPreset(preset);
    if (!("preset" in read)) throw new Error(read.reason);
    const points = calibrationPoints(localTicks(measurement), virtualizationOf("nested-2m")).filter((p) => p.kind.startsWith("local-"));
    const again = presetRows(read.preset, points, createTlbRef);
    for (const r of again) expect(r.predictedTicks).toBeCloseTo(rows.find((f) => f.label === r.label)!.predictedTicks, 9);
    expect(r.stdout).toContain(`Wrote ${out}: virtualization nested-2m`);
  }, 180_000); // It measures 17 points over buffers up to 512 MiB: 7 s on a quiet machine, several times that on a busy one.
});
