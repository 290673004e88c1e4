/**
 * The khugesim command as a process of its own, where that is the point: its standard
 * input and output streams, and the bin/ entry a user runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runMain } from "./cli_in_process.ts";

const BIN = fileURLToPath(new URL("../bin/khugesim.mjs", import.meta.url));

/** The installed command in a process of its own, with `stdin` on standard input and stdout to `stdout`. */
function spawnCli(args: string[], stdin: string, stdout: "pipe" | number = "pipe") {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: stdin, stdio: ["pipe", stdout, "pipe"], encoding: "utf8" });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr };
}

describe("the command's standard streams", () => {
  test("- reads the scenario from standard input", async () => {
    const yaml = (await runMain("presets", "--show", "scan-succeeded")).stdout;
    const r = spawnCli(["validate", "-"], yaml);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('-: OK, scenario "scan-succeeded", 1 task, variants lazyfree-skip, TLB zen5\n');
    const bad = spawnCli(["validate", "-"], "name: x\ntasks: 3\n");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Cannot load scenario "-": tasks /);
  }, 30_000);

  test("a standard output that cannot be written (/dev/full) is one line and exit status 2, no stack", async () => {
    const full = openSync("/dev/full", "w");
    try {
      const r = spawnCli(["presets"], "", full);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("khugesim: cannot write standard output: no space left on device\n");
    } finally {
      closeSync(full);
    }
  }, 30_000);
});

describe("the bin entry", () => {
  test("a reader that goes away (a broken pipe) is one line and exit status 2, no stack", async () => {
    const child = spawn(process.execPath, [BIN, "presets"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("khugesim: cannot write standard output: broken pipe\n");
    expect(code).toBe(2);
  }, 30_000);

  test("--version prints package.json's version, as the in-process program does", async () => {
    const r = spawnCli(["--version"], "");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
    expect(r.stdout).toBe((await runMain("--version")).stdout);
  }, 30_000);
});
