/** The run and compare commands' output files and the refusals of paths they cannot write. */
import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { runMain } from "./cli_in_process.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "khugesim-outputs-"));
});

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("run and compare outputs", () => {
  test("--trace refuses a directory, with or without a trailing slash, and writes nothing", async () => {
    const own = await mkdtemp(join(dir, "tracedir-"));
    for (const arg of [`${own}/`, own]) {
      const r = await runMain("compare", "scan-succeeded", "--trace", arg);
      expect(r.code).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr.trim()).toBe(`--trace: cannot write ${arg}: it is a directory`);
      expect(r.stdout).toBe("");
    }
    expect(await readdir(own)).toEqual([]);
  });

  test("--csv and --trace refuse an empty file name before running", async () => {
    for (const flag of ["--csv", "--trace"]) {
      const r = await runMain("run", "scan-succeeded", flag, "");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${flag}: the file name is empty\n`);
      expect(r.stdout).toBe("");
    }
  });

  test("--csv refuses a directory that takes no new file (/proc) before running", async () => {
    const r = await runMain("run", "scan-succeeded", "--csv", "/proc/x.csv");
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^--csv: cannot write \/proc\/x\.csv: directory \/proc (is not writable|takes no new file)/);
    expect(r.stdout).toBe("");
  });

  test("--csv and --svg refuse a scenario without tasks, whose generated map has no time series", async () => {
    for (const flag of ["--csv", "--svg"]) {
      const path = join(dir, `generated.${flag.slice(2)}`);
      const r = await runMain("run", "synthetic-1tib", flag, path);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${flag}: scenario "synthetic-1tib" has no tasks, and the time series covers tasks only ` +
        "(a generated map's mms are in the report and in --json)\n");
      await expect(stat(path)).rejects.toThrow(/ENOENT/);
    }
  });

  test("--csv quotes a task name holding a comma and double quotes as RFC 4180 says", async () => {
    const scenario = join(dir, "quoted.yaml");
    await writeFile(scenario, [
      "name: quoted", "variants: [baseline]", "durationS: 2", "tasks:",
      `  - name: 'web,db "main"'`, "    vmas: [{ name: buf, size: 2 MiB, populate: true }]", "",
    ].join("\n"));
    const csv = join(dir, "quoted.csv");
    const r = await runMain("run", scenario, "--csv", csv);
    expect(r.code, r.stderr).toBe(0);
    const lines = (await readFile(csv, "utf8")).trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines.slice(1)) {
      expect(line).toMatch(/^baseline,[0-9.]+,"web,db ""main""",/);
      // Outside the quoted field, 12 fields as the header has.
      expect(line.replace('"web,db ""main"""', "task").split(",")).toHaveLength(lines[0].split(",").length);
    }
  });

  test("a replaced output file keeps its permission bits", async () => {
    const own = await mkdtemp(join(dir, "mode-"));
    const csv = join(own, "s.csv");
    await writeFile(csv, "old\n");
    await chmod(csv, 0o444);
    const r = await runMain("run", "scan-succeeded", "--csv", csv);
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(csv)).mode & 0o777).toBe(0o444);
    expect(await readFile(csv, "utf8")).toMatch(/^variant,timeS,/);
    expect(await readdir(own)).toEqual(["s.csv"]);
  });
});

describe("scenario input", () => {
  test("a YAML alias bomb is one line naming the file, exit status 2", async () => {
    const bomb = join(dir, "bomb.yaml");
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [["b", "a"], ["c", "b"], ["d", "c"], ["e", "d"], ["f", "e"], ["g", "f"]]) {
      rows.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    await writeFile(bomb, rows.join("\n") + "\n");
    const r = await runMain("validate", bomb);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe(`Cannot load scenario "${bomb}": YAML that cannot be expanded: ` +
      "Excessive alias count indicates a resource exhaustion attack");
  });
});
