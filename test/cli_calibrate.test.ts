/** `khugesim calibrate`: bad flags refused in one line before measuring; on a machine with cc, a preset file written whole. */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
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
    expect(r.code).toBe(0);
    const preset = JSON.parse(await readFile(out, "utf8"));
    expect(preset.virtualization).toBe("nested-2m");
    expect(preset.params.mlp).toBeGreaterThan(0);
    // One fitted and one held-out point of each kind, and the stated error is the held-out points' largest.
    expect(preset.rows.filter((p: { inFit: boolean }) => p.inFit)).toHaveLength(4);
    const heldOut = preset.rows.filter((p: { inFit: boolean }) => !p.inFit).map((p: { error: number }) => Math.abs(p.error));
    expect(preset.heldOutError).toBe(Math.max(...heldOut));
    expect(Object.keys(preset.measurement.points).sort()).toEqual(["random/4k", "random/thp", "stride/4k", "stride/thp"]);
    expect(r.stdout).toContain(`Wrote ${out}: virtualization nested-2m`);
  });
});
