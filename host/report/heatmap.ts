/**
 * `run --heatmap`: a terminal heatmap in the manner of damo's, one per task and variant:
 * time runs down, the task's mapped address space (its VMAs' PMDs in address order)
 * runs across in COLUMNS columns, and each cell shades how much of its PMDs are mapped by
 * a THP, so that khugepaged's collapses show as a column filling in.
 */
import { PMD_STATES } from "../mm/pmd_map.ts";
import type { Frame } from "../run/frames.ts";

/** Cells across: the address space of a task, however large, in this many columns. */
export const COLUMNS = 64;
/** Rows down: frames past this many are sampled evenly. */
const MAX_ROWS = 24;
/** Shades from no THP to all THPs; a column with no mapped PMD is blank. */
const SHADES = [".", "░", "▒", "▓", "█"];

const HUGE = new Set([PMD_STATES.indexOf("huge"), PMD_STATES.indexOf("huge-lazyfree")]);
const EMPTY = PMD_STATES.indexOf("empty");

/** Each column's share of THP-mapped PMDs among its mapped ones, or null where none is mapped. */
export function hugeShares(pmds: Uint8Array, columns = COLUMNS): Array<number | null> {
  const out: Array<number | null> = [];
  for (let c = 0; c < columns; c++) {
    const from = Math.floor((c * pmds.length) / columns), to = Math.floor(((c + 1) * pmds.length) / columns);
    let mapped = 0, huge = 0;
    for (let i = from; i < to; i++) {
      if (pmds[i] === EMPTY) continue;
      mapped++;
      if (HUGE.has(pmds[i])) huge++;
    }
    out.push(mapped === 0 ? null : huge / mapped);
  }
  return out;
}

/** The shade of a share: "." none, "█" all, three steps between. */
export function shade(share: number | null): string {
  if (share === null) return " ";
  if (share === 0) return SHADES[0];
  if (share === 1) return SHADES[4];
  return SHADES[1 + Math.min(2, Math.floor(share * 3))];
}

interface Row {
  timeS: number;
  cells: string;
}

/** Collects the rows of every task's heatmap from a run's frames (RunOptions `frames`). */
export class HeatmapCollector {
  /** Rows by variant, then by task, in the order they first appear. */
  readonly maps = new Map<string, Map<string, { pmds: number; rows: Row[] }>>();

  /** Take one frame: a row per task, its map reduced to COLUMNS cells at once. */
  add(frame: Frame): void {
    let byTask = this.maps.get(frame.variant);
    if (!byTask) this.maps.set(frame.variant, (byTask = new Map()));
    for (const t of frame.tasks) {
      if (!t.alive) continue;
      let map = byTask.get(t.name);
      if (!map) byTask.set(t.name, (map = { pmds: 0, rows: [] }));
      map.pmds = Math.max(map.pmds, t.pmds.length);
      map.rows.push({ timeS: frame.timeS, cells: hugeShares(t.pmds).map(shade).join("") });
    }
  }

  /** Every heatmap as text: a title per task and variant, then its rows. */
  format(): string {
    const blocks: string[] = [];
    for (const [variant, byTask] of this.maps) {
      for (const [task, { pmds, rows }] of byTask) {
        const shown = rows.length <= MAX_ROWS ? rows
          : Array.from({ length: MAX_ROWS }, (_, i) => rows[Math.round((i * (rows.length - 1)) / (MAX_ROWS - 1))]);
        const width = Math.max(...shown.map((r) => r.timeS.toFixed(1).length));
        blocks.push([
          `${task} (${variant}): ${pmds} PMDs across, ${Math.max(1, Math.round(pmds / COLUMNS))} a column; time down`,
          ...shown.map((r) => `  ${r.timeS.toFixed(1).padStart(width)} s |${r.cells}|`),
        ].join("\n"));
      }
    }
    const legend = `THP-mapped share of a column's mapped PMDs: ${SHADES[0]} none ${SHADES[1]} <1/3 ${SHADES[2]} <2/3 ` +
      `${SHADES[3]} <all ${SHADES[4]} all, blank: none mapped`;
    return `${legend}\n\n${blocks.join("\n\n")}\n`;
  }
}
