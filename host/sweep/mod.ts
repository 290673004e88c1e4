/**
 * Sweeps in the library: a grid file checked and expanded into keyed runs, one run's
 * JSON line, shards by run key, reading and merging outputs, and their summary. The
 * worker threads and files of `khugesim sweep` are Node's (host/node/sweep_run.ts); the
 * summary's SVG charts are in sweep_chart.ts, kept out of here with their renderer.
 *
 * @example
 * const spec = validateSweepSpec(YAML.parse(text), "grid.yaml");
 * for (const p of expandGrid(spec)) out.push(await runSweepPoint(loadPreset(p.scenario), p, engine));
 */
export { compareRuns, expandGrid, inShard, parseShard, runKey, type RunPoint, type Shard } from "./run_point.ts";
export {
  mergeRecords, parseRecords, pointScenario, type RecordLine, recordLine, runSweepPoint, SweepOutputError, type SweepRecord,
} from "./sweep_record.ts";
export { type SweepSpec, SweepSpecError, validateSweepSpec } from "./sweep_spec.ts";
export { summarizeSweep, summaryCsv, type SummaryRow, summaryTable, type SweepSummary } from "./sweep_summary.ts";
