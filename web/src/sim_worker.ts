/**
 * The simulation worker: checks a run request, runs each variant on one engine (as
 * `khugesim compare` does, so the results are the CLI's to the byte) and streams
 * progress and a frame per interval of simulated time back to the page.
 */
/// <reference lib="webworker" />
import {
  type CompareResult, comparisonJson, createEngine, formatComparison, type RunResult, ScenarioError, seriesCsv,
  watchScenario,
} from "../../host/mod.ts";
import type { RunMessage, WorkerMessage } from "./protocol.ts";
import { checkRunRequest } from "./run_request.ts";

declare const self: DedicatedWorkerGlobalScope;

function post(message: WorkerMessage): void {
  if (message.type === "frame") {
    self.postMessage(message, message.frame.tasks.map((t) => t.pmds.buffer as ArrayBuffer));
  } else {
    self.postMessage(message);
  }
}

async function run({ request }: RunMessage): Promise<void> {
  const checked = checkRunRequest(request);
  if (!checked.ok) {
    post({ type: "error", field: checked.field, message: checked.message });
    return;
  }
  const scenario = checked.scenario;
  post({ type: "started", scenario: scenario.name, variants: scenario.variants });
  const engine = await createEngine();
  const results: RunResult[] = [];
  const mark = engine.memory.usedBytes;
  for (const [variantIndex, variant] of scenario.variants.entries()) {
    const result = await watchScenario(scenario, engine, {
      variant,
      onInterval: (progress) => post({ type: "progress", progress, variantIndex }),
      onFrame: (frame) => post({ type: "frame", frame }),
    });
    // The next variant gets the whole core memory, as compareScenario gives it.
    engine.memory.rewind(mark);
    results.push(result);
    post({ type: "variant-done", variant, series: result.series });
  }
  const c: CompareResult = { scenario: scenario.name, variants: scenario.variants, results };
  post({
    type: "done", scenario: scenario.name, comparison: formatComparison(c), json: comparisonJson(c),
    csv: seriesCsv(results), traces: Object.fromEntries(results.map((r) => [r.variant, r.trace])),
  });
}

self.onmessage = (e: MessageEvent<RunMessage>) => {
  run(e.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "error", field: err instanceof ScenarioError ? "scenario" : "run", message });
  });
};
