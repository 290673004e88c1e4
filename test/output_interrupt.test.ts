/**
 * Ctrl-C while an output path is checked or a file written (every command's --trace, --csv,
 * --svg, --out): the process ends as Ctrl-C ends it, leaving the output whole or absent and
 * no probe or temporary file beside it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const CHILD = new URL("./fixtures/interrupt_outputs.ts", import.meta.url).pathname;

test("SIGINT during checkOutputPaths() or writeFilesAtomically() ends the process and leaves no probe or temporary", async () => {
  const dir = mkdtempSync(join(tmpdir(), "khugesim-interrupt-"));
  for (let tick = 1; tick <= 40; tick++) {
    const out = mkdtempSync(join(dir, `t${tick}-`));
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, out, String(tick)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => { stderr += d; });
    const signal = await new Promise((resolve) => child.on("exit", (_code, s) => resolve(s)));
    expect(stderr, `tick ${tick}`).toBe("");
    expect(signal, `tick ${tick}`).toBe("SIGINT");
    const files = readdirSync(out);
    expect(files.filter((f) => f !== "out.txt"), `tick ${tick}`).toEqual([]);
    if (files.includes("out.txt")) expect(readFileSync(join(out, "out.txt"), "utf8")).toMatch(/^whole \d+\n$/);
  }
}, 120_000);
