/**
 * `khugesim run` as text: for each task, what the seed program prints after its timed
 * loop and what `perf stat` prints over the task, then khugepaged's collapses.
 */
import type { AccessReport, GeneratedResult, RunResult, TaskResult } from "../run/result.ts";
import { collapseSpan, runSettings, samplingNote } from "./compare_table.ts";
import { withCommas } from "./format.ts";
import { formatPassCollapses, hasMthpReport, thpText } from "./mthp_report.ts";

/** The seed program's printout of its timed loop (test_tlb_performance). */
function formatMeasurement(name: string, m: AccessReport): string {
  return [
    `Process ${name}`,
    `  Completed ${m.accesses} accesses in ${m.seconds.toFixed(2)} seconds`,
    `  Average cycles per access: ${m.cyclesPerAccess.toFixed(2)} cycles/access`,
    `  Throughput: ${m.throughputMps.toFixed(2)} M accesses/sec`,
  ].join("\n");
}

/** `perf stat -e dTLB-loads,dTLB-load-misses` over the task, as perf lays it out. */
function formatPerfStat(name: string, p: AccessReport, tlb: string): string {
  const ratio = p.dtlbLoads > 0 ? `    #  ${((100 * p.dtlbLoadMisses) / p.dtlbLoads).toFixed(2)}% of all dTLB cache accesses` : "";
  return [
    ` Performance counter stats for '${name}' (simulated, ${tlb}):`,
    "",
    `${withCommas(p.dtlbLoads).padStart(18)}      dTLB-loads`,
    `${withCommas(p.dtlbLoadMisses).padStart(18)}      dTLB-load-misses${ratio}`,
    "",
    `${p.seconds.toFixed(9).padStart(18)} seconds in accesses (${withCommas(p.accesses)} accesses, ` +
      `${p.walksPerAccess.toFixed(4)} ± ${p.walksPerAccessStdError.toFixed(4)} walks/access)`,
  ].join("\n");
}

function formatTask(t: TaskResult, r: RunResult): string {
  const out: string[] = [];
  if (t.measurement) out.push(formatMeasurement(t.name, t.measurement), "");
  if (t.perf) out.push(formatPerfStat(t.name, t.perf, r.tlb), "");
  if (!t.measurement && !t.perf) out.push(`Process ${t.name}: no accesses`, "");
  const m = t.memory;
  // An mTHP run counts each folio a collapse made, several to a PMD.
  const unit = m.thp !== undefined ? "folio" : "PMD";
  out.push(`  ${t.name}: khugepaged collapsed ${collapseSpan(t, unit)}; at the end AnonHugePages ${withCommas(m.anonHugePagesKb)} kB, ` +
    `Rss ${withCommas(m.rssKb)} kB, LazyFree ${withCommas(m.lazyFreeKb)} kB, Swap ${withCommas(m.swapKb)} kB` +
    (t.collapses.lazyfreeKb > 0 ? `; ${withCommas(t.collapses.lazyfreeKb)} kB of lazy-free memory collapsed` : "") +
    (m.thp !== undefined ? `; by folio size (thpmaps): ${thpText(m.thp)}` : ""));
  for (const c of t.madviseCollapse) out.push(`  MADV_COLLAPSE at ${c.timeS.toFixed(3)} s returned ${c.ret}`);
  return out.join("\n");
}

function formatGenerated(g: GeneratedResult, origin: "generated" | "imported"): string {
  return `  ${g.name} (${origin}): khugepaged collapsed ${collapseSpan(g)}; AnonHugePages ${withCommas(g.initialAnonHugePagesKb)} kB ` +
    `after ${origin === "generated" ? "generation" : "import"}, ${withCommas(g.anonHugePagesKb)} kB at the end` +
    (g.collapses.lazyfreeKb > 0 ? `; ${withCommas(g.collapses.lazyfreeKb)} kB of lazy-free memory collapsed` : "");
}

/** One run as text. */
export function formatRun(r: RunResult): string {
  const note = samplingNote([r]);
  const out = [`== ${r.scenario} under ${r.variant} (${runSettings(r)}), ${r.endS.toFixed(3)} s simulated`, ...(note ? [note] : []), ""];
  for (const t of r.tasks) out.push(formatTask(t, r), "");
  if (r.generated !== undefined && r.generated.length > 0) out.push(...r.generated.map((g) => formatGenerated(g, "generated")), "");
  if (r.imported !== undefined && r.imported.length > 0) out.push(...r.imported.map((g) => formatGenerated(g, "imported")), "");
  out.push(`khugepaged: ${plural(r.khugepaged.wakeups, "wake-up")}, ${plural(r.khugepaged.fullScans, "full scan")}, ` +
    `${r.khugepaged.pagesCollapsed} pages collapsed`);
  const scans = Object.entries(r.khugepaged.scanResults).map(([result, n]) => `${result} ${n}`);
  out.push(`khugepaged scan results: ${scans.length > 0 ? scans.join(", ") : "none"}`);
  for (const [size, counters] of Object.entries(r.khugepaged.mthpStats ?? {})) {
    out.push(`${size}/stats: ${Object.entries(counters).map(([n, v]) => `${n} ${v}`).join(", ")}`);
  }
  for (const line of r.khugepaged.dmesg ?? []) out.push(`kernel: ${line}`);
  const v = r.vmstat;
  out.push(`vmstat: thp_collapse_alloc ${v.thp_collapse_alloc}, thp_collapse_alloc_failed ${v.thp_collapse_alloc_failed}, ` +
    `thp_fault_alloc ${v.thp_fault_alloc}, pglazyfree ${v.pglazyfree}, pglazyfreed ${v.pglazyfreed}, pswpout ${v.pswpout}`);
  if (hasMthpReport([r])) out.push("", formatPassCollapses([r], false));
  return out.join("\n") + "\n";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
