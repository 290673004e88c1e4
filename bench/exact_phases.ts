/**
 * Where an exact run's time goes: the seed experiment (or a preset named on the command
 * line) with every access simulated, each variant on this thread, and for each task the
 * accesses its TLB covered and the CPU seconds TaskTlb.run() took for them. CPU time,
 * not wall time: the figures hold on a loaded machine, where a wall time does not.
 *
 * Usage: npx tsx bench/exact_phases.ts [preset] [variant,...]
 */
import { makeEngine } from "../host/node/make_engine.ts";
import { runScenario } from "../host/run/mod.ts";
import type { VariantName } from "../host/kernel/variants/mod.ts";
import { loadPreset } from "../host/scenario/mod.ts";
import { TaskTlb } from "../host/tlb/mod.ts";

const preset = process.argv[2] ?? "hot1-cold-hot2";
const scenario = loadPreset(preset);
const variants = (process.argv[3]?.split(",") ?? scenario.variants) as VariantName[];

/** CPU seconds since `from` (this process: the run is on this thread). */
const cpuS = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

// Each TLB's accesses and CPU seconds, in the order the tasks first ran an access phase.
let tlbs = new Map<TaskTlb, { accesses: number; cpuS: number }>();
const run = TaskTlb.prototype.run;
TaskTlb.prototype.run = function (this: TaskTlb, stream, count) {
  const t0 = process.cpuUsage();
  const counts = run.call(this, stream, count);
  const s = tlbs.get(this) ?? { accesses: 0, cpuS: 0 };
  s.accesses += count;
  s.cpuS += cpuS(t0);
  tlbs.set(this, s);
  return counts;
};

console.log("variant          task       accesses (M)   TLB CPU s   M accesses/s");
for (const variant of variants) {
  tlbs = new Map();
  const t0 = process.cpuUsage();
  const r = await runScenario(scenario, await makeEngine("wasm"), { variant, tlbMode: "exact", trace: false });
  const total = cpuS(t0);
  const tasks = r.tasks.filter((t) => t.perf !== null).sort((a, b) => a.perf!.startS - b.perf!.startS);
  [...tlbs.values()].forEach((s, i) => {
    const name = tasks[i]?.name ?? `#${i}`;
    console.log(
      `${variant.padEnd(16)} ${name.padEnd(10)} ${(s.accesses / 1e6).toFixed(1).padStart(12)} ${s.cpuS.toFixed(2).padStart(11)} ` +
        `${(s.accesses / s.cpuS / 1e6).toFixed(0).padStart(14)}`,
    );
  });
  console.log(`${variant.padEnd(16)} (whole run, CPU s)${total.toFixed(2).padStart(24)}`);
}
