/**
 * `khugesim capture <pid> [--out FILE] [--idle-wait SECONDS] [--cgroup PATH]`: read a live
 * process's memory map from /proc into a snapshot file (host/snapshot/format.ts).
 *
 * The file is written whole or not at all: the capture happens in memory, then the file
 * is written to a temporary name and renamed. Ctrl-C during the capture stops before any
 * file exists; while the output path is probed or the file written, atomic_write.ts holds
 * it off until the probe is removed or the rename (or its undoing) is done.
 */
import { Command } from "commander";
import { encodeSnapshot } from "../snapshot/format.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { checkOutputPaths, OutputPathError, writeFilesAtomically } from "./atomic_write.ts";
import { CaptureError, captureProcesses, cgroupPids } from "./proc_capture.ts";
import { decimalInteger } from "./usage.ts";

interface CaptureFlags {
  out?: string;
  idleWait?: string;
  cgroup?: string;
}

/** The pids to capture: the argument or the cgroup's, never both. */
function pidsOf(arg: string | undefined, f: CaptureFlags): number[] {
  if (arg !== undefined && f.cgroup !== undefined) throw new CaptureError("Cannot capture: give a pid or --cgroup, not both");
  if (f.cgroup !== undefined) return cgroupPids(f.cgroup);
  if (arg === undefined) throw new CaptureError("Cannot capture: give a pid or --cgroup PATH");
  const pid = decimalInteger(arg);
  if (!(Number.isSafeInteger(pid) && pid > 0)) throw new CaptureError(`Cannot capture pid "${arg}": expected a positive integer`);
  return [pid];
}

function idleWaitOf(f: CaptureFlags): number {
  if (f.idleWait === undefined) return 0;
  const s = /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(f.idleWait) ? Number(f.idleWait) : NaN;
  if (!(s >= 0 && s <= 3600)) throw new CaptureError(`--idle-wait "${f.idleWait}": expected seconds from 0 to 3600`);
  return s;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** One summary line per process, then what could not be read. */
function summary(s: Snapshot, out: string, bytes: number, ms: number): string {
  const lines = s.processes.map((p) => {
    const mapped = p.vmas.reduce((n, v) => n + v.end - v.start, 0);
    const kb = (key: string) => p.vmas.reduce((n, v) => n + (v.smaps[key] ?? 0), 0) * 1024;
    return `pid ${p.pid} (${p.comm}): ${p.vmas.length} VMAs, ${mib(mapped)} mapped, Rss ${mib(kb("Rss"))}, ` +
      `AnonHugePages ${mib(kb("AnonHugePages"))}`;
  });
  lines.push(`Wrote ${out} (${bytes.toLocaleString("en-US")} bytes, snapshot format version 1) in ${(ms / 1000).toFixed(2)} s`);
  for (const m of s.missing) lines.push(`Not captured: ${m}`);
  return lines.join("\n") + "\n";
}

async function execute(this: Command, arg: string | undefined, f: CaptureFlags): Promise<void> {
  let pids: number[], idleWaitS: number;
  const t0 = performance.now();
  try {
    pids = pidsOf(arg, f);
    idleWaitS = idleWaitOf(f);
    const out = f.out ?? `khugesim-${pids[0]}.khs`;
    await checkOutputPaths([{ flag: "--out", path: out }]);
    // Interrupted here, nothing is on disk yet: Ctrl-C ends the process at once.
    const snapshot = await captureProcesses(pids, { idleWaitS });
    const data = await encodeSnapshot(snapshot);
    await writeFilesAtomically([{ flag: "--out", path: out, data }]);
    process.stdout.write(summary(snapshot, out, data.length, performance.now() - t0));
  } catch (err) {
    if (err instanceof CaptureError || err instanceof OutputPathError) this.error(err.message, { exitCode: 2 });
    throw err;
  }
}

/** The `capture` command, for the CLI program to add. */
export function captureCommand(): Command {
  return new Command("capture")
    .argument("[pid]", "the process to capture")
    .description("capture a live process's memory map (smaps, pagemap, kpageflags, page_idle) into a snapshot file")
    .option("--out <file>", "the snapshot file to write (default: khugesim-PID.khs)")
    .option("--idle-wait <seconds>", "mark the pages idle, wait, and record which were accessed (needs page_idle)")
    .option("--cgroup <path>", "capture every process of a cgroup (a path under /sys/fs/cgroup, or absolute)")
    .action(execute);
}
