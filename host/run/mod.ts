/**
 * The scenario runner: a scenario, a kernel variant and an engine's cores in; per-task
 * perf and timing figures, the khugepaged timeline, time series and the trace out.
 */
export { type Engine, tsEngine, wasmEngine } from "./engine.ts";
export { compareScenario, type CompareOptions, type CompareResult } from "./compare.ts";
export { defaultTlbMode, EXACT_DEFAULT_MAX_ACCESSES } from "./exact_default.ts";
export type { AccessReport, RunResult, SeriesPoint, TaskResult, TaskSample } from "./result.ts";
export { estimateEndS } from "../scenario/run_limits.ts";
export { type RunEvent, type RunOptions, type RunProgress, runScenario } from "./runner.ts";
