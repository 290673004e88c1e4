/**
 * How a range of a task's PMDs fills a map of bounded size: square cells of at most
 * MAX_CELL px, row by row, each cell standing for `per` consecutive PMDs (one when the
 * range fits, many on a terabyte map). The worker aggregates by it and the page draws
 * and hit-tests by it, so both read this one rule.
 */

/** Width of a map, in CSS pixels. */
export const MAP_WIDTH = 640;
/** Height a map may take, in CSS pixels. */
export const MAP_MAX_HEIGHT = 64;
/** Largest cell: a small map shows each PMD as a 10 px square. */
export const MAX_CELL = 10;

export interface MapLayout {
  /** PMD indexes [start, end) of the task's map shown. */
  start: number;
  end: number;
  /** Cell side in CSS pixels. */
  cell: number;
  /** Cells per row, and rows. */
  columns: number;
  rows: number;
  /** Cells drawn (the last row may be short). */
  cells: number;
  /** PMDs per cell. */
  per: number;
}

/** The layout of PMDs [start, end) on a map `width` px wide. */
export function mapLayout(start: number, end: number, width = MAP_WIDTH): MapLayout {
  const span = Math.max(0, end - start);
  let cell = MAX_CELL;
  while (cell > 1 && Math.floor(width / cell) * Math.floor(MAP_MAX_HEIGHT / cell) < span) cell--;
  const columns = Math.max(1, Math.floor(width / cell));
  const capacity = columns * Math.floor(MAP_MAX_HEIGHT / cell);
  const per = Math.max(1, Math.ceil(span / capacity));
  const cells = Math.ceil(span / per);
  return { start, end, cell, columns, rows: Math.max(1, Math.ceil(cells / columns)), cells, per };
}

/** The PMD indexes [first, end) of cell `c`. */
export function cellRange(l: MapLayout, c: number): [number, number] {
  const first = l.start + c * l.per;
  return [first, Math.min(l.end, first + l.per)];
}

/** The cell under CSS pixel (x, y) of the map, or null outside the drawn cells. */
export function cellAt(l: MapLayout, x: number, y: number): number | null {
  const col = Math.floor(x / l.cell), row = Math.floor(y / l.cell);
  if (x < 0 || y < 0 || col >= l.columns || row >= l.rows) return null;
  const c = row * l.columns + col;
  return c < l.cells ? c : null;
}

/** The cell holding PMD index `i`, or null outside the layout's range. */
export function cellOf(l: MapLayout, i: number): number | null {
  return i >= l.start && i < l.end ? Math.floor((i - l.start) / l.per) : null;
}

/**
 * The range after zooming by `factor` (below 1 zooms in) around PMD index `at`, kept
 * within [0, total) and at least one PMD wide.
 */
export function zoomRange(start: number, end: number, total: number, at: number, factor: number): [number, number] {
  const span = Math.min(total, Math.max(1, Math.round((end - start) * factor)));
  const frac = end > start ? (at - start) / (end - start) : 0;
  let s = Math.round(at - frac * span);
  s = Math.max(0, Math.min(total - span, s));
  return [s, s + span];
}
