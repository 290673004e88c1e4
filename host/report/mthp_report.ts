/**
 * What `run` and `compare` add when the scenario turns an mTHP size on: khugepaged's
 * collapses by pass and folio size with the tasks' Rss after each (where creep shows),
 * and each task's memory by folio size under thpmaps' names beside smaps' AnonHugePages.
 */
import type { RunResult } from "../run/result.ts";
import { sizeDir, THP_SIZES_KB } from "../kernel/thp_sizes.ts";
import { sortThpCounters } from "../mm/thp_counters.ts";
import { columns, withCommas } from "./format.ts";

/** Whether the runs report by folio size (their scenario turns an mTHP size on). */
export function hasMthpReport(results: readonly RunResult[]): boolean {
  return results.some((r) => r.khugepaged.collapsesByPass !== undefined);
}

/**
 * The passes that collapsed, per variant: one row a pass, one column per folio size any
 * variant made (smallest first), then the tasks' Rss when the pass ended; with `dmesg`,
 * each variant's kernel log lines after (the merged rule's warning says why it collapsed none).
 */
export function formatPassCollapses(results: readonly RunResult[], dmesg = true): string {
  const made = new Set(results.flatMap((r) => (r.khugepaged.collapsesByPass ?? []).flatMap((p) => Object.keys(p.collapses))));
  const sizes = THP_SIZES_KB.map(sizeDir).filter((s) => made.has(s));
  const rows = [["variant", "pass", "start s", ...sizes.map((s) => s.slice("hugepages-".length)), "Rss kB"]];
  for (const r of results) {
    (r.khugepaged.collapsesByPass ?? []).forEach((p, i) => rows.push([
      i === 0 ? r.variant : "", String(p.pass), p.startS.toFixed(3), ...sizes.map((s) => String(p.collapses[s] ?? "-")),
      withCommas(p.rssKb),
    ]));
  }
  const out = ["khugepaged's collapses by pass and folio size, and the tasks' Rss after each such pass:"];
  if (rows.length > 1) out.push(columns(rows));
  for (const r of results) if ((r.khugepaged.collapsesByPass ?? []).length === 0) out.push(`${r.variant}: no pass collapsed anything`);
  if (dmesg) for (const r of results) for (const line of r.khugepaged.dmesg ?? []) out.push(`${r.variant} kernel: ${line}`);
  return out.join("\n");
}

/**
 * Rows for compare's table, one column per variant: per task its Rss, smaps' AnonHugePages
 * and each thpmaps counter any variant has, at the end of the run.
 */
export function thpRows(tasks: readonly string[], results: readonly RunResult[]): string[][] {
  const rows: string[][] = [];
  for (const name of tasks) {
    const memory = results.map((r) => r.tasks.find((t) => t.name === name)?.memory);
    const counters = Object.keys(sortThpCounters(Object.assign({}, ...memory.map((m) => m?.thp ?? {}))));
    const row = (label: string, kb: (m: NonNullable<(typeof memory)[number]>) => number | undefined) =>
      rows.push([`${name}: ${label} at the end`, ...memory.map((m) => (m ? `${withCommas(kb(m) ?? 0)} kB` : "-"))]);
    row("Rss", (m) => m.rssKb);
    row("AnonHugePages", (m) => m.anonHugePagesKb);
    for (const c of counters) row(c, (m) => m.thp?.[c]);
  }
  return rows;
}

/** thpmaps' counters of a task as `run` prints them: "anon-thp-pte-aligned-64kB 512 kB, …", or "none". */
export function thpText(thp: Record<string, number>): string {
  const parts = Object.entries(thp).map(([name, kb]) => `${name} ${withCommas(kb)} kB`);
  return parts.length > 0 ? parts.join(", ") : "none";
}
