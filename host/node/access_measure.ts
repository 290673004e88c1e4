/**
 * Ticks per access on this machine, measured by bench/native/access_cost.c: the seed's
 * phase-B loop and a page-stride read-modify-write over 128 MiB of THPs and of 4 KiB pages,
 * phase B over 8 MiB (inside the L3) and 512 MiB, and a dependent pointer chase over THPs
 * and 4 KiB pages (the latency of a walk no overlap hides, for the host page size); each
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

/**
 * The configurations: pattern, pages, MiB of buffer. The fit's: phase B and the page stride
 * over 128 MiB, phase B inside the L3 (8 MiB) and past it (512 MiB). The latency loop over
 * 512 MiB measures DRAM's latency; the chases, the host's page size (README, cost model).
 */
const CONFIGS = [
  ["random", "4k", 128], ["random", "thp", 128], ["stride", "4k", 128], ["stride", "thp", 128],
  ["random", "thp", 8], ["random", "thp", 512], ["latency", "thp", 512],
  ["chase", "4k", 128], ["chase", "thp", 128], ["chase", "thp", 512], ["latency", "thp", 8],
] as const;

/** The key of a configuration in AccessMeasurement.points: "random/4k", "random/thp/8mib". */
export function pointKey(pattern: string, pages: string, mib: number): string {
  return mib === 128 ? `${pattern}/${pages}` : `${pattern}/${pages}/${mib}mib`;
}

export interface AccessPoint {
  medianTicks: number;
  minTicks: number;
  maxTicks: number;
  /** Each run's ticks per access in its median round (access_cost.c): a preempted round does not count. */
  ticks: number[];
  /** Each run's ticks per access over all its rounds, disturbances included. */
  meanTicks: number[];
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
  /** TSC ticks per second, the median of the runs' (rdtsc against CLOCK_MONOTONIC). */
  tscHz: number;
  /** The 1-minute load average before and after: other processes disturb the timings. */
  loadAverage1m: [number, number];
  /** By pointKey(): "random/4k", "random/thp", "stride/4k", "stride/thp", "random/thp/8mib", … */
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
    const samples = new Map<string, { ticks: number[]; means: number[]; huge: number[] }>();
    const tscHz: number[] = [];
    const loadBefore = os.loadavg()[0];
    for (let r = 0; r < reps; r++) {
      for (const [pattern, pages, mib] of CONFIGS) {
        // About as many accesses in every configuration: rounds of 128 MiB's 32,768.
        const perRound = mib * 256 * (pattern === "latency" ? 64 : 1);
        const n = String(Math.max(1, Math.round((rounds * 32_768) / perRound)));
        const line = JSON.parse(execFileSync(binary, [pattern, pages, n, String(mib)], { encoding: "utf8" }));
        const key = pointKey(pattern, pages, mib);
        const s = samples.get(key) ?? { ticks: [], means: [], huge: [] };
        s.ticks.push(line.medianRoundTicksPerAccess);
        s.means.push(line.ticksPerAccess);
        s.huge.push(line.anonHugeKiB);
        samples.set(key, s);
        tscHz.push(line.tscHz);
        onRun?.(key, line.medianRoundTicksPerAccess);
      }
    }
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    return {
      cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
      guest: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
      date: new Date().toISOString(),
      reps,
      accessesPerRun: rounds * 32_768,
      tscHz: median(tscHz),
      loadAverage1m: [loadBefore, os.loadavg()[0]],
      points: Object.fromEntries([...samples].map(([key, s]) => [key, {
        medianTicks: median(s.ticks), minTicks: Math.min(...s.ticks), maxTicks: Math.max(...s.ticks), ticks: s.ticks,
        meanTicks: s.means, anonHugeKiB: median(s.huge),
      }])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The ticks the calibration takes: each configuration's median over its runs of their median
 * rounds, robust to the rounds other processes disturb on a shared machine. (A measurement
 * written before median rounds were recorded, bench/results/zen5_kvm_4k_fit.json among them,
 * has each run's mean instead; its runs were taken on a quiet machine.)
 */
export function localTicks(m: Pick<AccessMeasurement, "points">): LocalTicks {
  const t = (key: string) => m.points[key].medianTicks;
  return {
    random: { "4k": t("random/4k"), thp: t("random/thp") },
    stride: { "4k": t("stride/4k"), thp: t("stride/thp") },
    randomThp8MiB: t(pointKey("random", "thp", 8)),
    randomThp512MiB: t(pointKey("random", "thp", 512)),
    // How far one run strays from the median: what a fresh measurement may differ by.
    scatter: Math.max(...["random/4k", "random/thp", "stride/4k", "stride/thp"].flatMap((key) =>
      m.points[key].ticks.map((x) => Math.abs(x / m.points[key].medianTicks - 1)))),
  };
}
