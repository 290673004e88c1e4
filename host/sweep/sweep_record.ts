/**
 * A sweep's output: one JSON line per run, its point and either its result (the keys of
 * `khugesim run --json`'s `results.VARIANT`) or the error that ended it. Lines are
 * written in canonical run order, so the same grid gives the same bytes, whoever ran it
 * and however it was sharded.
 */
import { variantJson } from "../report/json_report.ts";
import type { Engine } from "../run/engine.ts";
import { runScenario } from "../run/runner.ts";
import { validateScenario } from "../scenario/load_scenario.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { compareRuns, type RunPoint } from "./run_point.ts";

/** One run as its line holds it. */
export interface SweepRecord extends RunPoint {
  result?: ReturnType<typeof variantJson>;
  error?: string;
}

/** A record with the line it was read from, which merging copies unchanged. */
export interface RecordLine {
  record: SweepRecord;
  line: string;
}

/** A sweep output file that cannot be read: `Cannot read sweep output "a.jsonl": line 3 is not a run record`. */
export class SweepOutputError extends Error {
  constructor(source: string, reason: string) {
    super(`Cannot read sweep output "${source}": ${reason}`);
    this.name = "SweepOutputError";
  }
}

/** The record's line, newline included; its keys always in one order. */
export function recordLine(r: SweepRecord): string {
  const { key, scenario, variant, tunables, seed } = r;
  const outcome = r.error !== undefined ? { error: r.error } : { result: r.result };
  return JSON.stringify({ key, scenario, variant, tunables, seed, ...outcome }) + "\n";
}

/** `base` with the point's tunables written over its own, its seed and its one variant; checked again as a whole. */
export function pointScenario(base: Scenario, p: RunPoint): Scenario {
  return validateScenario({ ...base, variants: [p.variant], tunables: { ...base.tunables, ...p.tunables }, seed: p.seed }, p.scenario);
}

/**
 * Run one point of a sweep on `engine` and return its line. A run that fails is a line
 * with its error: one bad point does not stop a sweep. The engine's memory is freed after.
 *
 * @example
 * const line = await runSweepPoint(loadPreset("hot1-hot2"), expandGrid(spec)[0], await createEngine());
 */
export async function runSweepPoint(base: Scenario, p: RunPoint, engine: Engine): Promise<string> {
  const mark = engine.memory.usedBytes;
  try {
    const r = await runScenario(pointScenario(base, p), engine, { variant: p.variant, trace: false });
    return recordLine({ ...p, result: variantJson(r) });
  } catch (err) {
    return recordLine({ ...p, error: err instanceof Error ? err.message : String(err) });
  } finally {
    engine.memory.rewind(mark);
  }
}

function isRecord(x: unknown): x is SweepRecord {
  if (x === null || typeof x !== "object") return false;
  const r = x as Record<string, unknown>;
  return typeof r.key === "string" && typeof r.scenario === "string" && typeof r.variant === "string" &&
    typeof r.seed === "number" && typeof r.tunables === "object" && r.tunables !== null &&
    (typeof r.error === "string" || (typeof r.result === "object" && r.result !== null));
}

/**
 * The records of a sweep output. A last line without its newline is what a killed sweep
 * was writing: it is left out, and `completeBytes` ends before it, where a resumed
 * sweep goes on writing. Any other line that is not a record is an error.
 */
export function parseRecords(text: string, source: string): { lines: RecordLine[]; completeBytes: number } {
  const lines: RecordLine[] = [];
  let at = 0, n = 0;
  for (let end = text.indexOf("\n"); end >= 0; at = end + 1, end = text.indexOf("\n", at)) {
    n++;
    const line = text.slice(at, end + 1);
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = undefined;
    }
    if (!isRecord(record)) throw new SweepOutputError(source, `line ${n} is not a run record`);
    lines.push({ record, line });
  }
  return { lines, completeBytes: new TextEncoder().encode(text.slice(0, at)).length };
}

/**
 * The records of several outputs (shards, or a sweep run in pieces) as one, in canonical
 * order. A run found twice keeps its result over an error; two different results of one
 * run mean the outputs are of different grids or versions, and are refused.
 */
export function mergeRecords(outputs: Array<{ source: string; lines: RecordLine[] }>): RecordLine[] {
  const byKey = new Map<string, RecordLine & { source: string }>();
  for (const { source, lines } of outputs) {
    for (const l of lines) {
      const had = byKey.get(l.record.key);
      if (had === undefined || (had.record.error !== undefined && l.record.error === undefined)) {
        byKey.set(l.record.key, { ...l, source });
      } else if (had.line !== l.line && had.record.error === undefined && l.record.error === undefined) {
        throw new SweepOutputError(source, `run "${l.record.key}" has a different result in "${had.source}"`);
      }
    }
  }
  return [...byKey.values()].map(({ record, line }) => ({ record, line })).sort((a, b) => compareRuns(a.record, b.record));
}
