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
import { LOCAL_POINTS, type LocalTicks, pointKey } from "../tlb/local_points.ts";
import { HOST_PAGE_CHASES } from "../tlb/host_pages.ts";
import { UsageError } from "./usage.ts";

const SOURCE = fileURLToPath(new URL("../../bench/native/access_cost.c", import.meta.url));

/**
 * The configurations: the calibration's points (LOCAL_POINTS), then the levels' latencies
 * (the latency loop over a buffer each level holds: 32 KiB, 512 KiB, 8 MiB, 512 MiB), the
 * chases that tell the host's page size (host_pages.ts) and the chases over 128 MiB (a walk's
 * whole latency, which no overlap hides).
 */
const CONFIGS: ReadonlyArray<readonly [string, string, number]> = [
  ...LOCAL_POINTS.map((p) => [p.pattern, p.pages, p.mib] as const),
  ["latency", "4k", 1 / 32], ["latency", "4k", 1 / 2], ["latency", "thp", 8], ["latency", "thp", 512],
  ...Object.values(HOST_PAGE_CHASES).map(([pages, mib]) => ["chase", pages, mib] as const),
  ["chase", "4k", 128], ["chase", "thp", 128],
];

/** access_cost.c's size argument: even MiB, or KiB with a k suffix. */
function sizeArg(mib: number): string {
  return mib >= 1 ? String(mib) : `${mib * 1024}k`;
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

/** Build access_cost.c with the machine's compiler into a temporary directory, and give `use` the binary. */
export function withAccessCost<T>(use: (binary: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), "access-cost-"));
  const binary = path.join(dir, "access_cost");
  try {
    try {
      execFileSync("cc", ["-std=c11", "-O2", "-o", binary, SOURCE], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      throw new UsageError(`cannot build ${SOURCE} with cc: ${(err as Error).message.split("\n")[0]}`);
    }
    return use(binary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of access_cost.c (`binary`): its ticks per access in the median round, over all rounds, and the buffer's AnonHugePages. */
export interface AccessRun {
  readonly medianRoundTicksPerAccess: number;
  readonly ticksPerAccess: number;
  readonly tscHz: number;
  readonly anonHugeKiB: number;
}

/** Run `pattern` over `mib` MiB of `pages` for as many accesses as `rounds` rounds over 128 MiB. */
export function runAccessCost(binary: string, pattern: string, pages: string, mib: number, rounds: number): AccessRun {
  // About as many accesses in every configuration: rounds of 128 MiB's 32,768.
  // (access_cost.c goes over a smaller buffer several times in a round of 32,768).
  const perRound = Math.max(32_768, mib * 256 * (pattern === "latency" ? 64 : 1));
  const n = String(Math.max(1, Math.round((rounds * 32_768) / perRound)));
  return JSON.parse(execFileSync(binary, [pattern, pages, n, sizeArg(mib)], { encoding: "utf8" }));
}

/** Build the program and run every configuration `reps` times of `rounds` rounds; `onRun` sees each run. */
export function measureAccessCost(reps: number, rounds: number, onRun?: (key: string, ticks: number) => void): AccessMeasurement {
  return withAccessCost((binary) => {
    const samples = new Map<string, { ticks: number[]; means: number[]; huge: number[] }>();
    const tscHz: number[] = [];
    const loadBefore = os.loadavg()[0];
    for (let r = 0; r < reps; r++) {
      for (const [pattern, pages, mib] of CONFIGS) {
        const line = runAccessCost(binary, pattern, pages, mib, rounds);
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
  });
}

/**
 * The ticks the calibration takes: each configuration's least disturbed run (the lowest of
 * its runs' median rounds). Other processes only add time (they preempt the loop, evict its
 * lines from the shared L3, load the memory bus): phase B over 8 MiB took 1.4-7.7 ticks over
 * nine runs at load 2-3, 1.5 in every quiet one, so a median tracks how many runs a neighbour
 * disturbed, the lowest run the machine.
 */
export function localTicks(m: Pick<AccessMeasurement, "points">): LocalTicks {
  const local = LOCAL_POINTS.map((p) => pointKey(p.pattern, p.pages, p.mib)).filter((key) => key in m.points);
  const gap = (ticks: number[]) => {
    const [low, next] = [...ticks].sort((a, b) => a - b);
    return next === undefined ? 0 : next / low - 1;
  };
  return {
    ticks: Object.fromEntries(Object.entries(m.points).map(([key, p]) => [key, p.minTicks])),
    // How far a fresh least disturbed run may stand from this one: the gap to the next run up.
    scatter: Math.max(...local.map((key) => gap(m.points[key].ticks))),
  };
}
