/**
 * The khugesim page: a scenario form (carried by the address, to share a run), a run in
 * a Web Worker with progress, each task's PMD map over simulated time (kept and drawn by
 * the worker), charts of the time series, the CLI's comparison table, and downloads of
 * the results and traces. `document.body.dataset.state` says where it is (idle, running,
 * done, error), for people and for the browser test.
 */
import { PRESETS } from "../../host/mod.ts";
import { benchPanel } from "./bench_panel.ts";
import { chartPanel } from "./chart_panel.ts";
import { download } from "./download.ts";
import { isolationProblem } from "./isolation.ts";
import { MapsView } from "./maps_view.ts";
import { METRICS } from "./metrics.ts";
import { pmdLegend } from "./pmd_colours.ts";
import type { PageMessage, WorkerMessage } from "./protocol.ts";
import { ScenarioForm } from "./scenario_form.ts";
import { decodeRunLink, encodeRunLink } from "./share_link.ts";

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}`);
  return el as T;
}

const runButton = $<HTMLButtonElement>("run");
const progress = $<HTMLProgressElement>("progress");
const status = $("status");
const comparison = $("comparison");
const downloads = $("downloads");

const setState = (state: "idle" | "running" | "done" | "error") => (document.body.dataset.state = state);
setState("idle");

const problem = isolationProblem();
if (problem) {
  const banner = $("isolation-error");
  banner.textContent = problem;
  banner.hidden = false;
}

const form = new ScenarioForm({
  preset: $("preset"), text: $("scenario-text"), file: $("scenario-file"), scenarioError: $("scenario-error"),
  variants: $("variants"), variantsError: $("variants-error"), tunables: $("tunables"),
});
form.onValidity = (ok) => {
  runButton.disabled = problem !== null || (!ok && !running);
  // The address carries the scenario the form holds: copy it to share the run.
  if (ok) void encodeRunLink(form.request()).then((f) => history.replaceState(null, "", `#${f}`));
};
$("legend").append(pmdLegend());
const maps = new MapsView({
  container: $("maps"), slider: $("time"), label: $("time-label"), play: $("play"), hover: $("map-hover"),
});
maps.send = (m: PageMessage) => worker?.postMessage(m);
let scenarioName = "khugesim";
const charts = METRICS.map((metric) => chartPanel($("charts"), metric, () => scenarioName));
maps.onTime = (t) => charts.forEach((c) => c.cursor(t));

/** The worker of the last run: it runs, then keeps the maps the page draws. */
let worker: Worker | null = null;
let running = false;
let startedAt = 0;

runButton.addEventListener("click", () => (running ? stop("Stopped.") : start()));

function start(): void {
  if (!form.ready()) return;
  worker?.terminate();
  running = true;
  worker = new Worker(new URL("./sim_worker.ts", import.meta.url), { type: "module", name: "khugesim" });
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => receive(e.data);
  worker.onerror = (e) => fail(`The simulation worker failed: ${e.message || "it could not be loaded"}`);
  const message: PageMessage = { type: "run", request: form.request() };
  worker.postMessage(message);
  startedAt = performance.now();
  runButton.textContent = "Stop";
  progress.hidden = false;
  progress.value = 0;
  status.textContent = "Starting…";
  downloads.replaceChildren();
  comparison.textContent = "";
  setState("running");
}

/** End the run; a finished run's worker stays to draw its maps. */
function stop(message: string, finished = false): void {
  if (!finished) {
    worker?.terminate();
    worker = null;
  }
  running = false;
  runButton.textContent = "Run";
  runButton.disabled = problem !== null;
  progress.hidden = true;
  status.textContent = message;
}

function fail(message: string): void {
  stop("");
  status.textContent = message;
  setState("error");
}

let variants: string[] = [];
/** Variants whose finished series replaced their live lines. */
const finished = new Set<string>();

function receive(m: WorkerMessage): void {
  switch (m.type) {
    case "started":
      variants = m.variants;
      finished.clear();
      maps.reset(m.variants);
      charts.forEach((c) => c.reset(m.variants));
      scenarioName = m.scenario;
      status.textContent = `Running ${m.scenario}…`;
      break;
    case "progress": {
      const p = m.progress;
      progress.value = (m.variantIndex + Math.min(1, p.timeS / p.endS)) / variants.length;
      status.textContent = `${p.variant}: ${p.timeS.toFixed(0)} s of ${p.endS.toFixed(0)} s simulated`;
      break;
    }
    case "frame":
      maps.add(m.frame);
      if (!finished.has(m.frame.variant)) {
        for (const t of m.frame.tasks) charts[0].add(m.frame.variant, t.name, m.frame.timeS, t.anonHugePagesKb / 1024);
      }
      break;
    case "variant-done":
      finished.add(m.variant);
      charts.forEach((c) => c.replace(m.variant, m.series));
      break;
    case "done": {
      stop(`Done: ${variants.join(", ")}.`, true);
      status.title = `${((performance.now() - startedAt) / 1000).toFixed(1)} s of wall time`;
      comparison.textContent = m.comparison;
      offerDownloads(m);
      setState("done");
      break;
    }
    case "tiles":
      maps.tiles(m.id, m.tiles);
      break;
    case "pmds":
      maps.pmds(m.id, m.info);
      break;
    case "error":
      form.showError(m.field, m.message);
      fail(m.message);
      break;
  }
}

function offerDownloads(m: Extract<WorkerMessage, { type: "done" }>): void {
  const button = (id: string, label: string, name: string, text: string, type: string) => {
    const b = document.createElement("button");
    b.type = "button";
    b.id = id;
    b.textContent = label;
    b.addEventListener("click", () => download(name, text, type));
    downloads.append(b);
  };
  button("download-json", "Results (JSON)", `${m.scenario}.json`, m.json, "application/json");
  button("download-csv", "Time series (CSV)", `${m.scenario}.csv`, m.csv, "text/csv");
  for (const [variant, trace] of Object.entries(m.traces)) {
    button(`download-trace-${variant}`, `Trace: ${variant}`, `${m.scenario}.${variant}.trace.txt`, trace, "text/plain");
  }
}

/** Open the run a shared link carries, or the first preset. */
async function open(): Promise<void> {
  try {
    const shared = await decodeRunLink(location.hash);
    if (shared) {
      await form.load(shared);
      return;
    }
  } catch (err) {
    // After the preset's check, which clears the form's errors.
    await form.loadPreset(PRESETS[0].name);
    form.showError("scenario", (err as Error).message);
    return;
  }
  await form.loadPreset(PRESETS[0].name);
}
void open();
benchPanel({ panel: $("bench"), set: $("bench-set"), variant: $("bench-variant"), run: $("bench-run"), status: $("bench-status"),
  chart: $("bench-chart"), table: $("bench-table") }, problem);
