/**
 * Draws one task's PMD map (one state per 2 MiB range, see host/mm/pmd_map.ts) as a
 * grid of coloured cells on a canvas.
 */
import { PMD_STATES, type PmdState } from "../../host/mod.ts";

/** Colour of each PMD state, by name; the legend and the cells read this one table. */
export const PMD_COLOURS: Record<PmdState, string> = {
  empty: "#e5e7eb",
  small: "#60a5fa",
  lazyfree: "#f59e0b",
  swapped: "#a78bfa",
  huge: "#15803d",
  "huge-lazyfree": "#86efac",
};

/** What each state means, for the legend. */
export const PMD_LABELS: Record<PmdState, string> = {
  empty: "empty (no pages)",
  small: "4 KiB pages",
  lazyfree: "lazy-free 4 KiB pages",
  swapped: "swapped out",
  huge: "huge (2 MiB THP)",
  "huge-lazyfree": "huge, lazy-free",
};

const CELL = 10;
const GAP = 2;
/** Rows are at most this wide; a map is wrapped into rows of equal length. */
const MAX_COLUMNS = 40;

/** Size a canvas for `count` PMDs and draw `states` (indexes into PMD_STATES) on it. */
export function drawPmdMap(canvas: HTMLCanvasElement, states: Uint8Array): void {
  const rows = Math.max(1, Math.ceil(states.length / MAX_COLUMNS));
  const columns = Math.max(1, Math.ceil(states.length / rows));
  const width = columns * (CELL + GAP) - GAP, height = rows * (CELL + GAP) - GAP;
  const ratio = globalThis.devicePixelRatio ?? 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  for (let i = 0; i < states.length; i++) {
    ctx.fillStyle = PMD_COLOURS[PMD_STATES[states[i]] ?? "empty"];
    ctx.fillRect((i % columns) * (CELL + GAP), Math.floor(i / columns) * (CELL + GAP), CELL, CELL);
  }
}

/** A legend: one swatch and label per state. */
export function pmdLegend(): HTMLElement {
  const ul = document.createElement("ul");
  ul.className = "legend";
  for (const state of PMD_STATES) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = PMD_COLOURS[state];
    li.append(swatch, PMD_LABELS[state]);
    ul.append(li);
  }
  return ul;
}
