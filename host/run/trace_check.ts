/**
 * A real kernel's khugepaged trace against a simulated one: the PMD rows
 * (mm_khugepaged_scan_pmd of khugepaged) grouped into wake-ups, the trace's mms tied to
 * the scenario's tasks, each wake-up's rows compared in order (task, status, referenced,
 * none_or_zero) and its start time compared after aligning both first wake-ups.
 */
import { hashedPointer } from "../kernel/trace.ts";
import { parseTrace, type TraceRecord } from "../kernel/trace_parse.ts";
import type { RunResult } from "./result.ts";

/** One PMD row of khugepaged. */
export interface PmdRow {
  line: number;
  ts: number;
  task: string;
  status: string;
  referenced: string;
  noneOrZero: string;
}

/** One wake-up's rows in both traces. */
export interface WakeupCheck {
  index: number;
  realS: number;
  simS: number;
  /** real − simulated start, both from their first wake-up, s. */
  errorS: number;
  /** |error| as a share of the simulated time since the first wake-up (0 for the first). */
  relError: number;
  real: PmdRow[];
  sim: PmdRow[];
  /** Rows equal in both, position by position. */
  matched: number;
  /** The first row that differs, or the line where a row is missing. */
  mismatch: { line: number; why: string } | null;
}

export interface TraceCheck {
  wakeups: WakeupCheck[];
  rows: number;
  matched: number;
  maxRelError: number;
  maxErrorS: number;
  /** The first failing line (a row, or a wake-up whose start is out of tolerance) and why; null if none. */
  failure: { line: number; why: string } | null;
}

/** Trace mms that cannot be tied to the scenario's tasks. */
export class TieError extends Error {}

/** khugepaged's PMD rows of `records`, tasks named through `mmToTask`; other mms' rows are left out. */
function pmdRows(records: readonly TraceRecord[], mmToTask: ReadonlyMap<string, string>): PmdRow[] {
  return records
    .filter((r) => r.event === "mm_khugepaged_scan_pmd" && r.comm === "khugepaged" && mmToTask.has(r.fields.mm))
    .map((r) => ({
      line: r.line, ts: r.ts, task: mmToTask.get(r.fields.mm)!, status: r.fields.status, referenced: r.fields.referenced,
      noneOrZero: r.fields.none_or_zero,
    }));
}

/** The mms of khugepaged's PMD rows in order of first appearance: khugepaged scans its list in registration order. */
export function mmsInScanOrder(records: readonly TraceRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) if (r.event === "mm_khugepaged_scan_pmd" && r.comm === "khugepaged") seen.add(r.fields.mm);
  return [...seen];
}

/**
 * Tie the real trace's mms to tasks: by `map` (mm as the trace prints it → task) when
 * given, else by scan order, which must then hold as many mms as the simulated trace.
 */
export function tieMms(real: readonly TraceRecord[], simTasks: readonly string[], map?: ReadonlyMap<string, string>): Map<string, string> {
  const order = mmsInScanOrder(real);
  if (map !== undefined) {
    const missing = [...map.keys()].filter((mm) => !order.includes(mm));
    if (missing.length > 0) throw new TieError(`--map names mm ${missing[0]}, which no khugepaged mm_khugepaged_scan_pmd row of the trace holds`);
    return new Map(map);
  }
  if (order.length !== simTasks.length) {
    throw new TieError(`the trace's khugepaged rows hold ${order.length} mm${order.length === 1 ? "" : "s"} (${order.slice(0, 4).join(", ")}` +
      `${order.length > 4 ? ", …" : ""}), the simulation's ${simTasks.length} (${simTasks.join(", ")}): name them with --map mm=task`);
  }
  return new Map(order.map((mm, i) => [mm, simTasks[i]]));
}

/**
 * Rows split into wake-ups wherever khugepaged's events pause for more than `gapS`: a
 * pass's rows come within its work, the next pass's after a sleep.
 */
export function groupWakeups(records: readonly TraceRecord[], rows: readonly PmdRow[], gapS: number): PmdRow[][] {
  const times = records.filter((r) => r.comm === "khugepaged").map((r) => r.ts);
  const starts: number[] = [];
  times.forEach((t, i) => {
    if (i === 0 || t - times[i - 1] > gapS) starts.push(t);
  });
  const groups: PmdRow[][] = starts.map(() => []);
  let g = 0;
  for (const row of rows) {
    while (g + 1 < starts.length && row.ts >= starts[g + 1]) g++;
    groups[g].push(row);
  }
  return groups.filter((x) => x.length > 0);
}

function describe(r: PmdRow): string {
  return `${r.task} status=${r.status} referenced=${r.referenced} none_or_zero=${r.noneOrZero}`;
}

/**
 * Walk both wake-ups' rows in step; a row one side lacks (the other side's next row
 * matches) is stepped over, so one dropped row costs one row, not the rest of the wake-up.
 */
function firstMismatch(real: PmdRow[], sim: PmdRow[], lastLine: number): { matched: number; mismatch: WakeupCheck["mismatch"] } {
  let matched = 0;
  let mismatch: WakeupCheck["mismatch"] = null;
  const note = (line: number, why: string) => {
    if (mismatch === null) mismatch = { line, why };
  };
  const same = (a?: PmdRow, b?: PmdRow) => a !== undefined && b !== undefined && describe(a) === describe(b);
  let i = 0, j = 0;
  while (i < real.length || j < sim.length) {
    const a = real[i], b = sim[j];
    if (same(a, b)) {
      matched++;
      i++, j++;
    } else if (a === undefined) {
      note(real.at(-1)?.line ?? lastLine, `the trace's wake-up ends here; simulated row ${describe(b)} is missing`);
      j++;
    } else if (b === undefined) {
      note(a.line, `real ${describe(a)} has no simulated row`);
      i++;
    } else if (same(a, sim[j + 1])) {
      note(a.line, `the trace lacks the simulated row ${describe(b)} before this line`);
      j++;
    } else if (!same(real[i + 1], sim[j + 1]) && same(real[i + 1], b)) {
      note(a.line, `real ${describe(a)} has no simulated row`);
      i++;
    } else {
      note(a.line, `real ${describe(a)}, simulated ${describe(b)}`);
      i++, j++;
    }
  }
  return { matched, mismatch };
}

/**
 * Compare wake-up by wake-up. `tolerance` is the largest start error allowed, as a
 * share of the simulated time since the first wake-up.
 */
export function compareWakeups(real: PmdRow[][], sim: PmdRow[][], tolerance: number): TraceCheck {
  const wakeups: WakeupCheck[] = [];
  const n = Math.max(real.length, sim.length);
  const real0 = real[0]?.[0].ts ?? 0, sim0 = sim[0]?.[0].ts ?? 0;
  let failure: TraceCheck["failure"] = null;
  for (let i = 0; i < n; i++) {
    const r = real[i] ?? [], s = sim[i] ?? [];
    const realS = r.length > 0 ? r[0].ts - real0 : NaN, simS = s.length > 0 ? s[0].ts - sim0 : NaN;
    const errorS = realS - simS;
    const relError = i === 0 ? 0 : Math.abs(errorS) / simS;
    const { matched, mismatch } = firstMismatch(r, s, real.at(-1)?.at(-1)?.line ?? 0);
    wakeups.push({ index: i + 1, realS, simS, errorS, relError, real: r, sim: s, matched, mismatch });
    if (failure === null && mismatch !== null) failure = { line: mismatch.line, why: `wake-up ${i + 1}: ${mismatch.why}` };
    if (failure === null && r.length > 0 && s.length > 0 && relError > tolerance) {
      failure = {
        line: r[0].line,
        why: `wake-up ${i + 1} starts ${errorS >= 0 ? "+" : ""}${errorS.toFixed(6)} s from the simulated start ` +
          `(${(relError * 100).toFixed(2)} % of ${simS.toFixed(6)} s, more than the tolerance)`,
      };
    }
  }
  const valid = wakeups.filter((w) => Number.isFinite(w.errorS));
  return {
    wakeups,
    rows: wakeups.reduce((a, w) => a + w.sim.length, 0),
    matched: wakeups.reduce((a, w) => a + w.matched, 0),
    maxRelError: Math.max(0, ...valid.map((w) => w.relError)),
    maxErrorS: Math.max(0, ...valid.map((w) => Math.abs(w.errorS))),
    failure,
  };
}

/** Check `real` against `sim` (both parsed traces); `simMmToTask` names the simulated mms. */
export function checkTrace(
  real: readonly TraceRecord[], sim: readonly TraceRecord[], simMmToTask: ReadonlyMap<string, string>,
  o: { map?: ReadonlyMap<string, string>; tolerance: number; gapS: number },
): TraceCheck {
  const simOrder = mmsInScanOrder(sim).map((mm) => simMmToTask.get(mm) ?? mm);
  const tie = tieMms(real, simOrder, o.map);
  const simTie = new Map(mmsInScanOrder(sim).map((mm) => [mm, simMmToTask.get(mm) ?? mm]));
  return compareWakeups(
    groupWakeups(real, pmdRows(real, tie), o.gapS), groupWakeups(sim, pmdRows(sim, simTie), o.gapS), o.tolerance,
  );
}

/**
 * Check a real kernel's parsed trace against a run made with `trace: true`, whose mms the
 * run's tasks and generated mms name (what `khugesim check-trace` does).
 *
 * @example
 * const run = await runScenario(scenario, engine, { variant: "baseline", trace: true });
 * const check = checkRunTrace(parseTrace(realText), run, { tolerance: 0.01, gapS: 5 });
 */
export function checkRunTrace(
  real: readonly TraceRecord[], run: RunResult, o: { map?: ReadonlyMap<string, string>; tolerance: number; gapS: number },
): TraceCheck {
  const simMms = new Map([...run.tasks, ...(run.generated ?? [])].map((t) => [hashedPointer(t.pid), t.name]));
  return checkTrace(real, parseTrace(run.trace), simMms, o);
}
