/**
 * `khugesim report`: per VMA of each captured process, in the spirit of the kernel's
 * tools/mm/thpmaps — memory in THPs and mTHPs by size, PMD-mapped or PTE-mapped, aligned
 * or not (thpmaps' counter names: `anon-thp-pmd-aligned-2048kB`, `anon-thp-pte-unaligned-64kB`,
 * `file-thp-…`) — and what one full khugepaged scan would decide for its PMDs under each
 * config. Only VMAs that map something (Rss, Swap, or pages such as the zero page) are listed.
 */
import { SCAN_RESULTS, type ScanResultName } from "../core/scan_result.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { sortThpCounters, thpCounterName } from "../mm/thp_counters.ts";
import type { ImportedScan } from "../fullscan/imported_vmas.ts";
import type { ImportedMm } from "../snapshot/import.ts";
import { isAnonPrivate, PAGE, type Snapshot, type SnapshotVma } from "../snapshot/snapshot.ts";
import { withCommas } from "./format.ts";

export interface VmaReport {
  start: string;
  end: string;
  perms: string;
  path: string;
  /** "anon" for private anonymous memory (what khugepaged collapses here), "file" for the rest. */
  kind: "anon" | "file";
  sizeKb: number;
  rssKb: number;
  swapKb: number;
  lazyFreeKb: number;
  /** smaps' AnonHugePages: the kernel's own count of PMD-mapped anonymous THPs. */
  anonHugePagesKb: number;
  /** kB by thpmaps counter name, non-zero only. */
  thp: Record<string, number>;
  /** PMDs by scan result under each config (by config label); absent for VMAs the model does not import. */
  scan?: Record<string, Partial<Record<ScanResultName, number>>>;
}

export interface ProcessReport {
  pid: number;
  comm: string;
  vmas: VmaReport[];
}

export interface SnapshotReport {
  kernel: string;
  capturedAt: string;
  missing: string[];
  /** The captured machine's THP settings; the scan used the model's defaults unless the caller says otherwise. */
  thp: Record<string, string>;
  configs: string[];
  /** One full scan of every imported process per config: PMDs, collapse candidates, and its time at pages_to_scan. */
  fullScans: Array<{ config: string; pmds: number; candidates: number; wakeups: number; sleepSeconds: number }>;
  processes: ProcessReport[];
}

/** thpmaps' counters of one VMA's pages, in kB: folios of order 1 and up by mapping and alignment. */
export function thpCounters(v: SnapshotVma, kind: "anon" | "file"): Record<string, number> {
  const out: Record<string, number> = {};
  const p = v.pages;
  if (!p) return out;
  for (let i = 0; i < p.flags.length; i++) {
    const order = p.order[i], f = p.flags[i];
    if (order === 0 || (f & PAGE.PRESENT) === 0 || (f & PAGE.ZERO) !== 0) continue;
    const key = thpCounterName(kind, (f & PAGE.PMD_MAPPED) !== 0, (f & PAGE.ALIGNED) !== 0, order);
    out[key] = (out[key] ?? 0) + 4;
  }
  return sortThpCounters(out);
}

const hex = (n: number) => `0x${n.toString(16).padStart(12, "0")}`;

/**
 * The report of `s`: every process's VMAs that map something, with the scan counts of
 * the imported ones (from scanImportedVmas, one config per entry of `configs`).
 */
export function snapshotReport(s: Snapshot, imported: ImportedMm[], scan: ImportedScan, configs: string[]): SnapshotReport {
  const processes = s.processes.map((p, pi) => {
    const vmas: VmaReport[] = [];
    for (const v of p.vmas) {
      const kb = (key: string) => v.smaps[key] ?? 0;
      if (kb("Rss") === 0 && kb("Swap") === 0 && v.pages === undefined) continue;
      const kind = isAnonPrivate(v) ? "anon" : "file";
      const r: VmaReport = {
        start: hex(v.start), end: hex(v.end), perms: v.perms, path: v.path, kind, sizeKb: (v.end - v.start) / 1024,
        rssKb: kb("Rss"), swapKb: kb("Swap"), lazyFreeKb: kb("LazyFree"), anonHugePagesKb: kb("AnonHugePages"),
        thp: thpCounters(v, kind),
      };
      const at = imported[pi]?.vmas.findIndex((iv) => iv.snap === v) ?? -1;
      if (at >= 0) r.scan = Object.fromEntries(configs.map((c, ci) => [c, scan.vmas[pi][at][ci]]));
      vmas.push(r);
    }
    return { pid: p.pid, comm: p.comm, vmas };
  });
  const fullScans = scan.summaries.map((sum, i) => ({
    config: configs[i], pmds: sum.pmdsScanned, candidates: sum.results.SCAN_SUCCEED ?? 0, wakeups: sum.passes,
    sleepSeconds: sum.sleepSeconds,
  }));
  return { kernel: s.kernel, capturedAt: s.capturedAt, missing: s.missing, thp: s.thp, configs, fullScans, processes };
}

/** A config label's scan counts as its variant traces them: "3 succeeded, 1 page_pmd_mapped". */
function scanText(config: string, counts: Partial<Record<ScanResultName, number>>): string {
  const v = getVariant(config.split(" ")[0]);
  const parts = SCAN_RESULTS.map(([name], code) => [code, counts[name] ?? 0] as const)
    .filter(([, n]) => n > 0).map(([code, n]) => `${n} ${v.traceString(code)}`);
  return `${config}: ${parts.length > 0 ? parts.join(", ") : "no whole PMD"}`;
}

/** The report as text: a header, then two or three lines per VMA. */
export function formatSnapshotReport(r: SnapshotReport): string {
  const thp = Object.entries(r.thp).map(([k, v]) => `${k}=${v}`);
  const out = [`Snapshot of ${r.kernel} at ${r.capturedAt}` + (thp.length > 0 ? `; machine THP: ${thp.join(", ")}` : "")];
  for (const m of r.missing) out.push(`Not captured: ${m}`);
  for (const f of r.fullScans) {
    out.push(`One full khugepaged scan under ${f.config}: ${withCommas(f.pmds)} PMDs, ${withCommas(f.candidates)} collapse ` +
      `candidates, ${withCommas(f.wakeups)} wake-up${f.wakeups === 1 ? "" : "s"} at pages_to_scan (${withCommas(f.sleepSeconds)} s asleep)`);
  }
  if (r.fullScans.length === 0 && r.configs.length > 0) out.push("No mm is registered with khugepaged: nothing to scan");
  for (const p of r.processes) {
    out.push("", `pid ${p.pid} (${p.comm}): ${p.vmas.length} VMAs map memory`);
    for (const v of p.vmas) {
      out.push(`${v.start}-${v.end} ${v.perms} ${v.kind} ${v.path || "[anon]"}: size ${withCommas(v.sizeKb)} kB, ` +
        `Rss ${withCommas(v.rssKb)} kB, Swap ${withCommas(v.swapKb)} kB, LazyFree ${withCommas(v.lazyFreeKb)} kB, ` +
        `AnonHugePages ${withCommas(v.anonHugePagesKb)} kB`);
      const folios = Object.entries(v.thp).map(([k, kb]) => `${k} ${withCommas(kb)} kB`);
      if (folios.length > 0) out.push(`    ${folios.join(", ")}`);
      if (v.scan && Object.values(v.scan).some((c) => Object.keys(c).length > 0)) out.push(`    khugepaged ${Object.entries(v.scan).map(([c, counts]) => scanText(c, counts)).join("; ")}`);
    }
  }
  return out.join("\n") + "\n";
}
