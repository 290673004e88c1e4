/**
 * The simulation worker: checks a run request, runs each variant on one engine (as
 * `khugesim compare` does, so the results are the CLI's to the byte) and streams
 * progress and a frame summary per interval of simulated time back to the page. It
 * keeps the frames' maps and draws the parts the page asks for, during the run and after.
 */
/// <reference lib="webworker" />
import {
  compareScenario, comparisonJson, createEngine, defaultTlbMode, formatComparison, ScenarioError, seriesCsv,
} from "../../host/mod.ts";
import { name, version } from "../../package.json" with { type: "json" };
import { MapStore } from "./map_store.ts";
import type { PageMessage, RunMessage, WorkerMessage } from "./protocol.ts";
import { checkRunRequest } from "./run_request.ts";

declare const self: DedicatedWorkerGlobalScope;

const maps = new MapStore();
/** The tool as the CLI's --json names it (host/node/package_version.ts), from package.json at build time. */
const TOOL = { name, version };

function post(message: WorkerMessage): void {
  self.postMessage(message, message.type === "tiles" ? message.tiles.flatMap((t) => t.rgba ? [t.rgba.buffer as ArrayBuffer] : []) : []);
}

/**
 * Let the page's requests for tiles in: the run gives up the thread once per frame, through
 * a message to itself (queued behind the page's, and not clamped as a nested timeout is).
 */
const wake = new MessageChannel();
let resume: (() => void) | null = null;
wake.port1.onmessage = () => resume?.();
const yieldToMessages = () => new Promise<void>((resolve) => {
  resume = resolve;
  wake.port2.postMessage(null);
});

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
    // Every access simulated where that is cheap, as `khugesim compare` chooses without --exact or --sample.
    tlbMode: defaultTlbMode(scenario),
    // Each map as what changed since the frame before: a terabyte map is read once.
    frames: "changes",
    onEvent: (e) => {
      if (e.type === "interval") {
        post({ type: "progress", progress: e.progress, variantIndex: scenario.variants.indexOf(e.progress.variant) });
      } else if (e.type === "changes") {
        post({ type: "frame", frame: maps.push(e.frame) });
        return yieldToMessages();
      } else if (e.type === "done") {
        post({ type: "variant-done", variant: e.result.variant, series: e.result.series });
      }
    },
  });
  post({
    type: "done", scenario: scenario.name, comparison: formatComparison(c), json: comparisonJson(c, { tool: TOOL }),
    csv: seriesCsv(c.results), traces: Object.fromEntries(c.results.map((r) => [r.variant, r.trace])),
  });
}

self.onmessage = (e: MessageEvent<PageMessage>) => {
  const m = e.data;
  if (m.type === "tiles") return post({ type: "tiles", id: m.id, tiles: m.maps.map((ref) => maps.tile(ref)) });
  if (m.type === "pmds") return post({ type: "pmds", id: m.id, info: maps.pmds(m.map) });
  run(m).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "error", field: err instanceof ScenarioError ? "scenario" : "run", message });
  });
};
