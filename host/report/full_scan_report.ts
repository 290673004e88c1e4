/**
 * `khugesim generate`'s report: what the generated map holds and how one full khugepaged
 * scan over it ends, as text and as the JSON object. Scan results go by each variant's
 * trace strings, as `run` names them (6.18 traces an empty PMD as `pmd_none`, 7.1 as
 * `no_pte_table`).
 */
import { formatByteSize } from "../core/byte_size.ts";
import { SCAN_RESULTS } from "../core/scan_result.ts";
import type { FullScanReport } from "../fullscan/full_scan.ts";
import type { FullScanSummary } from "../fullscan/summary.ts";
import { getVariant } from "../kernel/variants/mod.ts";
import { censusMaps } from "../synth/census.ts";
import type { SynthMap } from "../synth/generate.ts";
import { columns, withCommas } from "./format.ts";

/** Tunables a scan can be swept over, in the order the report lists them. */
export const SWEEPABLE = ["max_ptes_none", "max_ptes_swap", "max_ptes_shared", "pages_to_scan"] as const;
export type Sweepable = (typeof SWEEPABLE)[number];

/** The widest line the scan table writes. */
const WIDTH = 100;

/** The generated map: its size, PMD kinds, PTE kinds and core memory. */
export function formatMap(map: SynthMap): string {
  const s = map.stats;
  const c = censusMaps(map.mms);
  const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)} %`;
  const ptes = c.tablePmds * 512;
  return [
    `Synthetic map: ${formatByteSize(s.mappedBytes)} in ${map.mms.length} task(s), ${s.vmas} VMAs, ${s.pmds} PMDs`,
    `  PMDs: ${pct(s.hugePmds, s.pmds)} huge, ${pct(s.nonePmds, s.pmds)} without a PTE table, ${s.tablePmds} on ${s.tables} distinct PTE tables`,
    `  pages of PTE-mapped PMDs: ${(["normal", "cold", "swapped", "shared"] as const)
      .map((k) => `${k} ${pct(c.ptes[k], ptes)}`).join(", ")},`,
    `    ${(["lazyfree", "locked", "none"] as const).map((k) => `${k} ${pct(c.ptes[k], ptes)}`).join(", ")}`,
    `  core memory: ${s.coreBytes} bytes, ${Math.round(s.bytesPerMappedGiB)} bytes per mapped GiB`,
    "",
  ].join("\n");
}

/** A summary's PMDs by result, keyed by its variant's trace strings, in the kernel's order. */
export function traceResults(s: FullScanSummary): Record<string, number> {
  const variant = getVariant(s.variant);
  const out: Record<string, number> = {};
  SCAN_RESULTS.forEach(([name], code) => {
    const n = s.results[name];
    if (n !== undefined) out[variant.traceString(code)] = n;
  });
  return out;
}

/** The report's `--json` object: the map, and the scan with its results by trace string. */
export function fullScanJson(map: SynthMap, report: FullScanReport | undefined): object {
  if (report === undefined) return { spec: map.spec, stats: map.stats };
  const { outcomes: _o, summaries, ...rest } = report;
  return { spec: map.spec, stats: map.stats, scan: { ...rest, summaries: summaries.map((s) => ({ ...s, results: traceResults(s) })) } };
}

/** A column of the scan table: its header (one or two lines) and a cell per summary. */
type Column = [header: string[], cells: string[]];

/**
 * A header wider than the column's cells, on as many lines as it takes to be no wider
 * than them (or than its longest word, or 8), broken after a `_` or a space.
 */
function column(header: string, cells: string[]): Column {
  const words = header.match(/[^_ ]+[_ ]?/g) ?? [header];
  const width = Math.max(8, ...cells.map((c) => c.length), ...words.map((w) => w.trimEnd().length));
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] + w).trimEnd().length <= width) lines[last] += w;
    else lines.push(w);
  }
  return [lines.map((l) => l.trimEnd()), cells];
}

/**
 * Rows of `head` (the columns naming each scan) and as many of `rest` as fit WIDTH, then
 * the next block of columns below, each block naming the scans again.
 */
function wrapColumns(head: Column[], rest: Column[]): string {
  const gap = 2;
  const widthOf = ([h, cells]: Column) => Math.max(...h.map((l) => l.length), ...cells.map((c) => c.length)) + gap;
  const headWidth = head.reduce((w, c) => w + widthOf(c), 0);
  const blocks: Column[][] = [];
  for (const col of rest) {
    const last = blocks.at(-1);
    if (last && headWidth + [...last, col].reduce((w, c) => w + widthOf(c), 0) - gap <= WIDTH) last.push(col);
    else blocks.push([col]);
  }
  return blocks.map((block) => {
    const cols = [...head, ...block];
    const lines = Math.max(...cols.map(([h]) => h.length));
    // A one-line header sits on the header's last line.
    const headers = Array.from({ length: lines }, (_, l) => cols.map(([h]) => h[l - (lines - h.length)] ?? ""));
    const rows = [...headers, ...cols[0][1].map((_, i) => cols.map(([, cells]) => cells[i]))];
    return columns(rows, { gap, left: head.length });
  }).join("\n\n");
}

/** Each variant's trace strings of the results found, in the kernel's order of results. */
function traceColumns(sums: FullScanSummary[]): Column[] {
  const variants = sums.map((s) => getVariant(s.variant));
  const byTrace = sums.map(traceResults);
  const traces = [...new Set(SCAN_RESULTS.flatMap(([name], code) =>
    sums.some((s) => s.results[name] !== undefined) ? variants.map((v) => v.traceString(code)) : []))];
  // A trace string a variant never prints (6.18's pmd_none, 7.1's no_pte_table) is "-" in its rows.
  const prints = variants.map((v) => new Set(SCAN_RESULTS.map((_, code) => v.traceString(code))));
  return traces.map((t) => column(t, byTrace.map((b, i) => (prints[i].has(t) ? withCommas(b[t] ?? 0) : "-"))));
}

/**
 * One full scan, one row per scan run (a variant and the values of the swept tunables),
 * its PMDs by result and its cost in columns; as many columns as fit 100 characters, the
 * rest in further blocks below.
 */
export function formatScan(r: FullScanReport): string {
  const sums = r.summaries;
  const swept = SWEEPABLE.filter((t) => sums.some((o) => o.tunables[t] !== sums[0].tunables[t]));
  const head: Column[] = [[["variant"], sums.map((s) => s.variant)],
    ...swept.map((t): Column => [[t], sums.map((s) => String(s.tunables[t]))])];
  const cost: Column[] = [
    column("progress", sums.map((s) => withCommas(s.progress))),
    column("calls", sums.map((s) => withCommas(s.calls))),
    column("wake-ups", sums.map((s) => withCommas(s.passes))),
    column("sleep h", sums.map((s) => (s.sleepSeconds / 3600).toFixed(2))),
  ];
  return `One full khugepaged scan: ${r.pmds} PMDs, ${r.mms} mm(s), ${r.eligibleVmas} eligible and ` +
    `${r.ineligibleVmas} ineligible VMAs\n  ${r.scans.length} distinct scan(s) for ${sums.length} row(s); ` +
    "PMDs by mm_khugepaged_scan_pmd status\n" +
    "  succeeded counts collapse candidates: nothing is collapsed\n" +
    "  progress: pages_to_scan units one full scan costs; calls: khugepaged_scan_mm_slot calls\n" +
    "  wake-ups, sleep h: the wake-ups one full scan takes at pages_to_scan, the hours slept between\n\n" +
    wrapColumns(head, [...traceColumns(sums), ...cost]) + "\n";
}
