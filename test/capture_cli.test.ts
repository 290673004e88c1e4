/**
 * capture, run and report of snapshots from the command line: bad input is one line and
 * exit status 2, a snapshot file runs as a scenario, and Ctrl-C during a capture leaves
 * no partial file.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decodeSnapshot, encodeSnapshot } from "../host/snapshot/format.ts";
import { PAGE } from "../host/snapshot/snapshot.ts";
import { runMain } from "./cli_in_process.ts";
import { anonVma, snapshotOf } from "./snapshot_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "khugesim-capture-cli-"));

/** A snapshot file of one process with 4 PMDs of written small pages and one of lazy-free ones. */
async function writeSnapshot(name: string): Promise<string> {
  const written = PAGE.PRESENT | PAGE.ANON | PAGE.SWAPBACKED | PAGE.LRU | PAGE.EXCLUSIVE;
  const flags = [...new Array(4 * 512).fill(written), ...new Array(512).fill(PAGE.PRESENT | PAGE.ANON | PAGE.LRU | PAGE.EXCLUSIVE)];
  const path = join(dir, name);
  writeFileSync(path, await encodeSnapshot(snapshotOf([{ pid: 42, comm: "app", thpDisabled: false, vmas: [anonVma(0x7f0000000000, flags)] }])));
  return path;
}

function expectOneLine(o: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(o.code).toBe(2);
  expect(o.stderr).toMatch(pattern);
  expect(o.stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("capture: bad input", () => {
  test("a pid that does not exist, a pid that is not a number, no pid, and a pid with --cgroup", async () => {
    expectOneLine(await runMain("capture", "999999999"), /^Cannot capture pid 999999999: no such process/);
    expectOneLine(await runMain("capture", "12x"), /^Cannot capture pid "12x": expected a positive integer/);
    expectOneLine(await runMain("capture"), /give a pid or --cgroup PATH/);
    expectOneLine(await runMain("capture", "1", "--cgroup", "/"), /not both/);
    expectOneLine(await runMain("capture", "1", "--idle-wait", "-1"), /^--idle-wait "-1"/);
  });

  test("an --out path that cannot be written is refused before anything is read", async () => {
    expectOneLine(await runMain("capture", String(process.pid), "--out", "/proc/x.khs"), /^--out: cannot write \/proc\/x.khs/);
  });

  test("a report of a pid that does not exist", async () => {
    expectOneLine(await runMain("report", "999999999"), /^Cannot capture pid 999999999/);
  });
});

describe("run and report of a snapshot file", () => {
  test("run FILE.khs imports the process and khugepaged collapses its lazy-free PMD only under baseline", async () => {
    const file = await writeSnapshot("app.khs");
    const o = await runMain("run", file, "--variants", "baseline,lazyfree-skip", "--json");
    expect(o.stderr).toBe("");
    const results = JSON.parse(o.stdout).results;
    expect(results.baseline.imported["app-42"].collapses).toBe(5);
    expect(results["lazyfree-skip"].imported["app-42"].collapses).toBe(4);
  });

  test("validate FILE.khs names the imported snapshot and its processes", async () => {
    const o = await runMain("validate", await writeSnapshot("val.khs"));
    expect(o.stdout).toMatch(/^val\.khs: OK, scenario "val\.khs", 0 tasks, an imported snapshot of 1 process, /);
  });

  test("report FILE.khs --json counts each VMA's PMDs by scan result per variant", async () => {
    const o = await runMain("report", await writeSnapshot("rep.khs"), "--json");
    const report = JSON.parse(o.stdout);
    expect(report.fullScans.map((f: { config: string; candidates: number }) => [f.config, f.candidates]))
      .toEqual([["baseline", 5], ["lazyfree-skip", 4]]);
    const vma = report.processes[0].vmas[0];
    expect(vma.scan).toEqual({ baseline: { SCAN_SUCCEED: 5 }, "lazyfree-skip": { SCAN_SUCCEED: 4, SCAN_PAGE_LAZYFREE: 1 } });
  });

  test("report --sweep scans once per variant and value, and refuses a value sysfs would", async () => {
    const file = await writeSnapshot("sweep.khs");
    const o = await runMain("report", file, "--variants", "lazyfree-skip", "--sweep", "max_ptes_none=0,511", "--json");
    expect(JSON.parse(o.stdout).configs).toEqual(["lazyfree-skip max_ptes_none=0", "lazyfree-skip max_ptes_none=511"]);
    expectOneLine(await runMain("report", file, "--sweep", "max_ptes_none=600"), /^--sweep max_ptes_none=600: .*EINVAL/);
  });

  test("a corrupted, truncated or other-version snapshot is one line naming the file", async () => {
    const file = await writeSnapshot("bad.khs");
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    expectOneLine(await runMain("run", file), /^Cannot load snapshot ".*bad.khs": fails its SHA-256 checksum/);
    bytes.writeUInt32LE(9, 8);
    writeFileSync(file, bytes);
    expectOneLine(await runMain("report", file), /is version 9 of the snapshot format; this khugesim reads version 1\n$/);
  });

  test("a scenario's import: names a missing file, or lacks durationS without tasks", async () => {
    const yaml = join(dir, "imp.yaml");
    writeFileSync(yaml, "name: imp\ndurationS: 30\nimport: missing.khs\n");
    expectOneLine(await runMain("run", yaml), /^Cannot load scenario ".*imp.yaml": import "missing.khs": no such file/);
    writeFileSync(yaml, "name: imp\nimport: app.khs\n");
    expectOneLine(await runMain("run", yaml), /durationS is required when the scenario has no tasks/);
  });

  test("a scenario's import: path is read relative to the scenario file", async () => {
    await writeSnapshot("rel.khs");
    const yaml = join(dir, "rel.yaml");
    writeFileSync(yaml, "name: rel\ndurationS: 200\nvariants: [baseline]\nimport: rel.khs\n");
    const o = await runMain("run", yaml, "--json");
    expect(JSON.parse(o.stdout).results.baseline.imported["app-42"].collapses).toBe(5);
  });
});

describe("capture: a process without memory", () => {
  /** A zombie: `sleep 0` exits, and its parent (the shell exec'd into `sleep 30`) never reaps it. */
  async function zombie(): Promise<{ pid: number; parent: ReturnType<typeof spawn> }> {
    const parent = spawn("sh", ["-c", "sleep 0 & exec sleep 30"], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const pid = Number(readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, "utf8").trim() || NaN);
      if (pid > 0 && /^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) return { pid, parent };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    parent.kill("SIGKILL");
    throw new Error("no zombie appeared");
  }

  test("a process that exited between capture's reads (a zombie, its memory gone): one line, exit 2, no file", async () => {
    const { pid, parent } = await zombie();
    try {
      const out = mkdtempSync(join(dir, "zombie-"));
      expectOneLine(await runMain("capture", String(pid), "--out", join(out, "z.khs")), new RegExp(`^Cannot capture pid ${pid}: it exited during the capture$`, "m"));
      expect(readdirSync(out)).toEqual([]);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  const kthreadd = (() => { try { return readFileSync("/proc/2/comm", "utf8").trim() === "kthreadd"; } catch { return false; } })();
  test.skipIf(!kthreadd)(`a kernel thread (kthreadd): one line, exit 2, no file${kthreadd ? "" : " (skipped: pid 2 is not kthreadd)"}`, async () => {
    const out = mkdtempSync(join(dir, "kthread-"));
    expectOneLine(await runMain("capture", "2", "--out", join(out, "k.khs")), /^Cannot capture pid 2: it has no memory map \(a kernel thread\)$/m);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("capture: Ctrl-C", () => {
  test("SIGINT at any moment leaves either no file or a whole snapshot, and no temporary", async () => {
    for (const delayMs of [300, 900, 1500, 2500]) {
      const out = mkdtempSync(join(dir, "int-"));
      const child = spawn(process.execPath, ["--import", "tsx", "host/node/cli.ts", "capture", String(process.pid), "--out", join(out, "s.khs")],
        { cwd: ROOT, stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGINT"), delayMs);
      await new Promise((resolve) => child.on("exit", resolve));
      clearTimeout(timer);
      const files = readdirSync(out);
      expect(files.filter((f) => f !== "s.khs"), `after ${delayMs} ms`).toEqual([]);
      if (files.includes("s.khs")) await decodeSnapshot(new Uint8Array(readFileSync(join(out, "s.khs"))));
    }
  }, 60_000);
});

/** Running as another user needs root, setpriv, and a checkout that user can read (not one under a 0700 folder). */
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
const asNobodySkip = process.getuid?.() !== 0 ? "not root: cannot switch to another user"
  : spawnSync("setpriv", ["--version"]).status !== 0 ? "no setpriv to switch users"
  : spawnSync("setpriv", [...NOBODY, "test", "-r", join(ROOT, "node_modules", "tsx", "package.json")]).status !== 0
    ? `user nobody cannot read the checkout at ${ROOT}` : undefined;

describe.skipIf(asNobodySkip !== undefined)(`capture without root${asNobodySkip ? ` (skipped: ${asNobodySkip})` : ""}`, () => {
  test("says pfns and kpageflags are missing and still writes what pagemap and smaps show", async () => {
    const sleeper = spawn("setpriv", [...NOBODY, "sleep", "60"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const out = mkdtempSync(join(tmpdir(), "khugesim-nobody-"));
      chmodSync(out, 0o777);
      const file = join(out, "s.khs");
      const r = spawnSync("setpriv", [...NOBODY, process.execPath, "--import", "tsx", "host/node/cli.ts", "capture", String(sleeper.pid),
        "--out", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: out } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Not captured: pagemap shows no pfns \(reading them needs CAP_SYS_ADMIN\)/m);
      const s = await decodeSnapshot(new Uint8Array(readFileSync(file)));
      expect(s.sources).toEqual({ pagemap: true, pfns: false, kpageflags: false, pageIdle: false });
      expect(s.processes[0].vmas.some((v) => v.pages?.flags.some((f) => (f & PAGE.PRESENT) !== 0))).toBe(true);
    } finally {
      sleeper.kill("SIGKILL");
    }
  }, 60_000);
});
