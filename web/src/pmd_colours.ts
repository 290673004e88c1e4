/**
 * The colours and names of the PMD states (host/mm/pmd_map.ts) that the maps, their
 * legend and the worker that aggregates them share.
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
  mthp: "#0d9488",
};

/** What each state means, for the legend. */
export const PMD_LABELS: Record<PmdState, string> = {
  empty: "empty (no pages)",
  small: "4 KiB pages",
  lazyfree: "lazy-free 4 KiB pages",
  swapped: "swapped out",
  huge: "huge (2 MiB THP)",
  "huge-lazyfree": "huge, lazy-free",
  mthp: "4 KiB pages and mTHPs (16 KiB – 1 MiB)",
};

/** Each state's colour as [r, g, b], for mixing the states of a cell that stands for many PMDs. */
export const PMD_RGB: ReadonlyArray<readonly [number, number, number]> = PMD_STATES.map((state) => {
  const hex = PMD_COLOURS[state];
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as unknown as readonly [number, number, number];
});

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
