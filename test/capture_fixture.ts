/**
 * A real process for the capture tests: test/fixtures/capture_child.c compiled with gcc
 * at test time and started, with the regions it reports. `captureSkip` is the reason the
 * real-kernel tests cannot run here, or undefined.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readThp } from "./real_thp_fixture.ts";

function skipReason(): string | undefined {
  if (process.platform !== "linux") return "not Linux: no /proc";
  if (process.getuid?.() !== 0) return "not root: pfns and /proc/kpageflags need CAP_SYS_ADMIN";
  if (!existsSync("/proc/kpageflags")) return "the kernel has no /proc/kpageflags (CONFIG_PROC_PAGE_MONITOR)";
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return "no gcc to build the test child";
  }
  return undefined;
}

export const captureSkip = skipReason();

/** transparent_hugepage/enabled of this machine ("always", "madvise", "never"), or undefined without THP. */
export function machineThp(): string | undefined {
  try {
    return readThp("enabled");
  } catch {
    return undefined;
  }
}

export interface Child {
  pid: number;
  /** The forked child that shares B–D's pages. */
  forkedPid: number;
  regions: Record<string, { start: number; length: number }>;
  stop(): void;
}

/** Build and start the child (with `args`); resolves once it has mapped and touched every region. */
export async function startChild(...args: string[]): Promise<Child> {
  const dir = mkdtempSync(join(tmpdir(), "khugesim-capture-"));
  const exe = join(dir, "capture_child");
  execFileSync("gcc", ["-O1", "-o", exe, new URL("./fixtures/capture_child.c", import.meta.url).pathname]);
  const proc: ChildProcess = spawn(exe, args, { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on("data", (d: Buffer) => { text += d.toString(); if (text.includes("ready\n")) resolve(); });
    proc.on("exit", (code) => reject(new Error(`capture_child exited with ${code} before it was ready`)));
  });
  const regions: Child["regions"] = {};
  let forkedPid = 0;
  for (const line of text.split("\n")) {
    const [name, a, b] = line.split(" ");
    if (name === "child") forkedPid = Number(a);
    else if (b !== undefined) regions[name] = { start: Number(a), length: Number(b) };
  }
  return {
    pid: proc.pid!, forkedPid, regions,
    stop() {
      if (forkedPid > 0) {
        try { process.kill(forkedPid, "SIGKILL"); } catch { /* already gone */ }
      }
      proc.kill("SIGKILL");
    },
  };
}
