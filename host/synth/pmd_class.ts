/**
 * What one synthetic PMD looks like: its kind (full, sparse, mixed), the state of its
 * pages, and the PTE words that encode them (built once per state with pte.ts, so a
 * synthetic PTE is exactly what the model's own system calls would leave behind).
 */
import { PTES_PER_PMD } from "../core/layout.ts";
import { encodePte, type PteFields } from "../core/pte.ts";
import type { Rng } from "./rng.ts";
import { PAGE_STATES, type PageState, type SynthSpec } from "./spec.ts";

export const PMD_KINDS = ["full", "sparse", "mixed"] as const;
export type PmdKind = (typeof PMD_KINDS)[number];

/** Page states in a fixed order; a state's index is its code in templates and censuses. */
export const STATES: readonly PageState[] = ["normal", ...PAGE_STATES];

/** The PTE bits (and folio state) of a page in each state, pfn aside. */
const STATE_FIELDS: Record<PageState, PteFields> = {
  // A fresh write fault: young, dirty, writable, private, swap-backed, on the LRU.
  normal: { present: true, young: true, dirty: true, write: true, anon: true, swapbacked: true, lru: true, mapcount: 1 },
  cold: { present: true, dirty: true, write: true, anon: true, swapbacked: true, lru: true, mapcount: 1 },
  swapped: { swap: true },
  // After fork: both mms map the folio, write-protected for copy-on-write.
  shared: { present: true, young: true, dirty: true, anon: true, swapbacked: true, lru: true, mapcount: 2 },
  // What madvise_free_pte_range leaves: old, clean, folio no longer swap-backed.
  lazyfree: { present: true, write: true, anon: true, lru: true, mapcount: 1 },
  locked: { present: true, young: true, dirty: true, write: true, anon: true, swapbacked: true, lru: true, locked: true, mapcount: 1 },
};

/** Low PTE word of each state, by state index. */
export const STATE_LO: readonly number[] = STATES.map((s) => encodePte({ ...STATE_FIELDS[s], pfn: 1 }).lo);

/** One PTE-table template: a kind, the state of its pages (full and sparse) and a variant number. */
export interface Template {
  id: number;
  kind: PmdKind;
  /** Index into STATES; mixed templates draw states per PTE and keep 0 here. */
  state: number;
  variant: number;
}

/** Per-PTE sampling probabilities of a spec, shared by the planner and the table writer. */
export interface StateOdds {
  /** Cumulative probabilities over STATES (last entry 1), given the PMD is not huge. */
  cdf: Float64Array;
  /** Chance that a mixed PMD's PTE is empty. */
  pNone: number;
}

/** The state odds of a spec: each page state's share of the memory that is not huge. */
export function stateOdds(spec: SynthSpec): StateOdds {
  const f = spec.fractions;
  const rest = 1 - f.huge;
  const p = STATES.map((s) => (s === "normal" || rest <= 0 ? 0 : f[s] / rest));
  // normal gets what the other states leave.
  p[0] = Math.max(0, 1 - p.reduce((a, b) => a + b, 0));
  const cdf = new Float64Array(STATES.length);
  let acc = 0;
  for (let s = 0; s < STATES.length; s++) cdf[s] = acc += p[s];
  cdf[STATES.length - 1] = 1;
  return { cdf, pNone: spec.sparseNone / PTES_PER_PMD };
}

/** Draw a state index from cumulative odds. */
export function drawState(cdf: Float64Array, rng: Rng): number {
  const r = rng.next();
  let s = 0;
  while (r >= cdf[s] && s < cdf.length - 1) s++;
  return s;
}

/**
 * Write a PMD's 512 PTEs into the table at byte offset `table`. `rng` supplies the
 * sparse PMD's empty slots and the mixed PMD's per-PTE states; PTE i maps pfn
 * `pfnBase + i` (a swap entry's slot number, for swapped pages).
 */
export function fillTable(
  u32: Uint32Array, table: number, kind: PmdKind, state: number, rng: Rng, pfnBase: number,
  sparseNone: number, odds: StateOdds,
): void {
  const w0 = table >>> 2;
  if (kind === "mixed") {
    for (let i = 0; i < PTES_PER_PMD; i++) {
      const w = w0 + 2 * i;
      if (rng.next() < odds.pNone) {
        u32[w] = 0; u32[w + 1] = 0;
      } else {
        u32[w] = STATE_LO[drawState(odds.cdf, rng)]; u32[w + 1] = pfnBase + i;
      }
    }
    return;
  }
  const lo = STATE_LO[state];
  for (let i = 0; i < PTES_PER_PMD; i++) {
    u32[w0 + 2 * i] = lo;
    u32[w0 + 2 * i + 1] = pfnBase + i;
  }
  if (kind === "sparse" && sparseNone > 0) {
    // A partial Fisher–Yates shuffle picks `sparseNone` distinct slots to empty.
    const slots = new Uint16Array(PTES_PER_PMD);
    for (let i = 0; i < PTES_PER_PMD; i++) slots[i] = i;
    for (let j = 0; j < sparseNone; j++) {
      const r = j + rng.below(PTES_PER_PMD - j);
      const t = slots[r]; slots[r] = slots[j]; slots[j] = t;
      const w = w0 + 2 * slots[j];
      u32[w] = 0; u32[w + 1] = 0;
    }
  }
}
