/**
 * The simulation worker: checks a run request, runs each variant on one engine (as
 * `khugesim compare` does, so the results are the CLI's to the byte) and streams
 * progress and a frame per interval of simulated time back to the page.
 */
/// <reference lib="webworker" />
import { compareScenario, comparisonJson, createEngine, formatComparison, ScenarioError, seriesCsv } from "../../host/mod.ts";
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
  // The CLI's compareScenario, so each variant gets the whole core memory as `khugesim compare` gives it.
  const c = await compareScenario(scenario, await createEngine(), {
    frames: true,
    onEvent: (e) => {
      if (e.type === "interval") {
        post({ type: "progress", progress: e.progress, variantIndex: scenario.variants.indexOf(e.progress.variant) });
      } else if (e.type === "frame") {
        post({ type: "frame", frame: e.frame });
      } else if (e.type === "done") {
        post({ type: "variant-done", variant: e.result.variant, series: e.result.series });
      }
    },
  });
  post({
    type: "done", scenario: scenario.name, comparison: formatComparison(c), json: comparisonJson(c),
    csv: seriesCsv(c.results), traces: Object.fromEntries(c.results.map((r) => [r.variant, r.trace])),
  });
}

self.onmessage = (e: MessageEvent<RunMessage>) => {
  run(e.data).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "error", field: err instanceof ScenarioError ? "scenario" : "run", message });
  });
};
