/**
 * The form's checks, off the page's thread: checking a generated map plans it as the run
 * will (host/synth), which takes seconds at hundreds of terabytes. The form sends what is
 * typed; this answers with the errors to show and the scenario's own variants and tunables.
 */
/// <reference lib="webworker" />
import type { Scenario } from "../../host/mod.ts";
import { type Checked, checkRunRequest, checkScenarioText, type ErrorField, type RunRequest } from "./run_request.ts";

declare const self: DedicatedWorkerGlobalScope;

/** Form → checker: a request to check; `adopt`, on new text, the variants last taken from text. */
export interface CheckMessage {
  id: number;
  request: RunRequest;
  adopt: string | null;
}

/** Checker → form. */
export interface CheckedMessage {
  id: number;
  /** The request checked: its variants are the text's own when they were adopted. */
  request: RunRequest;
  /** The text's own scenario when it checks, for its variants and tunables. */
  own: Pick<Scenario, "variants" | "tunables"> | null;
  error: { field: ErrorField; message: string } | null;
}

function check({ id, request, adopt }: CheckMessage): CheckedMessage {
  const own = checkScenarioText(request.text, request.source);
  // New text naming other variants than those last taken from text: run those.
  if (adopt !== null && own.ok && own.scenario.variants.join(",") !== adopt) request = { ...request, variants: own.scenario.variants };
  const r: Checked = checkRunRequest(request, own);
  return {
    id, request, own: own.ok ? { variants: own.scenario.variants, tunables: own.scenario.tunables } : null,
    error: r.ok ? null : { field: r.field, message: r.message },
  };
}

self.onmessage = (e: MessageEvent<CheckMessage>) => {
  try {
    self.postMessage(check(e.data));
  } catch (err) {
    self.postMessage({ id: e.data.id, request: e.data.request, own: null, error: { field: "scenario", message: String(err) } });
  }
};
