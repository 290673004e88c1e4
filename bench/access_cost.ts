/**
 * Ticks per access on this machine (bench/native/access_cost.c): the seed's phase-B loop
 * and a page-stride read-modify-write, each over THPs and over 4 KiB pages, run REPS
 * times interleaved so that a disturbance spreads over every configuration. Writes
 * bench/results/access_cost.json (median, min and max of each) for the cost model's
 * calibration (host/tlb/cost_parts.ts).
 *
 * Usage: tsx bench/access_cost.ts [REPS] [ROUNDS]   (defaults 11 and 300)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const reps = Number(process.argv[2] ?? 11);
const rounds = Number(process.argv[3] ?? 300);
for (const [name, v] of [["REPS", reps], ["ROUNDS", rounds]] as const) {
  if (!(Number.isSafeInteger(v) && v > 0)) {
    console.error(`access_cost: ${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), "access-cost-"));
const binary = path.join(dir, "access_cost");
try {
  execFileSync("cc", ["-std=c11", "-O2", "-o", binary, fileURLToPath(new URL("native/access_cost.c", import.meta.url))]);
  const configs = (["random", "stride"] as const).flatMap((pattern) => (["4k", "thp"] as const).map((pages) => ({ pattern, pages })));
  const samples = new Map<string, { ticks: number[]; anonHugeKiB: number[] }>();
  for (let r = 0; r < reps; r++) {
    for (const { pattern, pages } of configs) {
      const line = JSON.parse(execFileSync(binary, [pattern, pages, String(rounds)], { encoding: "utf8" }));
      const key = `${pattern}/${pages}`;
      const s = samples.get(key) ?? { ticks: [], anonHugeKiB: [] };
      s.ticks.push(line.ticksPerAccess);
      s.anonHugeKiB.push(line.anonHugeKiB);
      samples.set(key, s);
      console.log(`${key}: ${line.ticksPerAccess.toFixed(2)} ticks/access (AnonHugePages ${line.anonHugeKiB} kB)`);
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  const virt = /^flags\s*:.*\bhypervisor\b/m.test(readFileSync("/proc/cpuinfo", "utf8")) ? "guest" : "bare metal";
  const results = {
    command: `tsx bench/access_cost.ts ${reps} ${rounds}`,
    cpu,
    virtualization: virt,
    date: new Date().toISOString(),
    accessesPerRun: rounds * 32_768,
    points: Object.fromEntries(
      [...samples].map(([key, s]) => [key, {
        medianTicks: median(s.ticks),
        minTicks: Math.min(...s.ticks),
        maxTicks: Math.max(...s.ticks),
        ticks: s.ticks,
        anonHugeKiB: median(s.anonHugeKiB),
      }]),
    ),
  };
  const out = new URL("results/", import.meta.url);
  await mkdir(out, { recursive: true });
  await writeFile(new URL("access_cost.json", out), JSON.stringify(results, null, 2) + "\n");
  console.log("Wrote bench/results/access_cost.json");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
