/**
 * Ticks per access on this machine, measured by bench/native/access_cost.c: the seed's
 * phase-B loop and a page-stride read-modify-write, over THPs and over 4 KiB pages, each
 * run `reps` times interleaved so that a disturbance spreads over every configuration.
 * The C program is built with the machine's compiler into a temporary directory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalTicks } from "../tlb/cost_calibration.ts";
import { UsageError } from "./usage.ts";

const SOURCE = fileURLToPath(new URL("../../bench/native/access_cost.c", import.meta.url));
const PATTERNS = ["random", "stride"] as const;
const PAGES = ["4k", "thp"] as const;

export interface AccessPoint {
  medianTicks: number;
  minTicks: number;
  maxTicks: number;
  ticks: number[];
  /** Median KiB of the buffer smaps reported as AnonHugePages (131072 when all THPs). */
  anonHugeKiB: number;
}

export interface AccessMeasurement {
  cpu: string;
  /** Whether /proc/cpuinfo shows the hypervisor flag. */
  guest: boolean;
  date: string;
  reps: number;
  accessesPerRun: number;
  /** By "pattern/pages": "random/4k", "random/thp", "stride/4k", "stride/thp". */
  points: Record<string, AccessPoint>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Build the program and run every configuration `reps` times of `rounds` rounds; `onRun` sees each run. */
export function measureAccessCost(reps: number, rounds: number, onRun?: (key: string, ticks: number) => void): AccessMeasurement {
  const dir = mkdtempSync(path.join(os.tmpdir(), "access-cost-"));
  const binary = path.join(dir, "access_cost");
  try {
    try {
      execFileSync("cc", ["-std=c11", "-O2", "-o", binary, SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      throw new UsageError(`cannot build ${SOURCE} with cc: ${(err as Error).message.split("\n")[0]}`);
    }
    const samples = new Map<string, { ticks: number[]; huge: number[] }>();
    for (let r = 0; r < reps; r++) {
      for (const pattern of PATTERNS) {
        for (const pages of PAGES) {
          const line = JSON.parse(execFileSync(binary, [pattern, pages, String(rounds)], { encoding: "utf8" }));
          const key = `${pattern}/${pages}`;
          const s = samples.get(key) ?? { ticks: [], huge: [] };
          s.ticks.push(line.ticksPerAccess);
          s.huge.push(line.anonHugeKiB);
          samples.set(key, s);
          onRun?.(key, line.ticksPerAccess);
        }
      }
    }
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    return {
      cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
      guest: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
      date: new Date().toISOString(),
      reps,
      accessesPerRun: rounds * 32_768,
      points: Object.fromEntries([...samples].map(([key, s]) => [key, {
        medianTicks: median(s.ticks), minTicks: Math.min(...s.ticks), maxTicks: Math.max(...s.ticks), ticks: s.ticks,
        anonHugeKiB: median(s.huge),
      }])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The ticks the calibration takes: each configuration's least disturbed run, its minimum.
 * On a shared machine a disturbance only adds ticks.
 */
export function localTicks(m: Pick<AccessMeasurement, "points">): LocalTicks {
  const t = (key: string) => m.points[key].minTicks;
  return {
    random: { "4k": t("random/4k"), thp: t("random/thp") },
    stride: { "4k": t("stride/4k"), thp: t("stride/thp") },
  };
}
