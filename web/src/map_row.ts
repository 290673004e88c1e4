/**
 * One task's map under one variant: a canvas the worker's tile is drawn on (each cell
 * scaled up, with gaps when cells are large enough), the khugepaged cursor outlined, and
 * the task's figures beside it.
 */
import { cellOf, type MapLayout } from "./map_layout.ts";
import { describeStates } from "./pmd_colours.ts";
import type { Tile } from "./protocol.ts";

/** Page background, drawn between large cells. */
const GAP_COLOUR = "#f9fafb";
const CURSOR_COLOUR = "#dc2626";
/** Cells at least this wide get a 1 px gap. */
const GAP_FROM = 6;

export class MapRow {
  readonly variant: string;
  readonly task: string;
  readonly canvas = document.createElement("canvas");
  readonly element = document.createElement("div");
  readonly #figure = document.createElement("span");
  /** The layout last drawn, for hit tests. */
  layout: MapLayout | null = null;
  /** The worker's token of the pixels drawn, and the pixels (drawn again when only the cursor moves). */
  token: string | undefined;
  #rgba: Uint8ClampedArray = new Uint8ClampedArray(0);
  #cursor: number | null = null;
  #cells = document.createElement("canvas");

  constructor(variant: string, task: string) {
    this.variant = variant;
    this.task = task;
    this.element.className = "task-map";
    this.element.dataset.task = task;
    this.element.dataset.variant = variant;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = name.title = task;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", `PMD map of ${task} under ${variant}`);
    this.#figure.className = "figure";
    this.element.append(name, this.canvas, this.#figure);
  }

  figures(text: string): void {
    this.#figure.textContent = text;
  }

  /**
   * Draw one RGBA pixel per cell of `l` (null: the pixels of `token`, drawn last), say in
   * the canvas's label how many PMDs of each state it shows, and outline PMD index `cursor`
   * if it is in view.
   */
  draw(l: MapLayout, tile: Pick<Tile, "rgba" | "states" | "token">, cursor: number | null): void {
    const { token } = tile;
    let { rgba } = tile;
    const c = cursor === null ? null : cellOf(l, cursor);
    if (tile.states) this.canvas.setAttribute("aria-label", `PMD map of ${this.task} under ${this.variant}: ${describeStates(tile.states)}`);
    if (rgba === null) {
      // The pixels drawn already: only a moved cursor needs drawing again.
      if (token !== this.token || c === this.#cursor) return;
      rgba = this.#rgba;
    }
    this.token = token;
    this.#rgba = rgba;
    this.#cursor = c;
    this.layout = l;
    const columns = l.rows > 1 ? l.columns : Math.max(1, l.cells);
    const width = columns * l.cell, height = l.rows * l.cell;
    const ratio = globalThis.devicePixelRatio ?? 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (l.cells === 0) return;
    // The tile is one pixel per cell: put it on a small canvas and scale it up unsmoothed.
    const full = new Uint8ClampedArray(l.columns * l.rows * 4);
    full.set(rgba.subarray(0, full.length));
    this.#cells.width = l.columns;
    this.#cells.height = l.rows;
    this.#cells.getContext("2d")?.putImageData(new ImageData(full, l.columns, l.rows), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.#cells, 0, 0, l.columns * l.cell, l.rows * l.cell);
    if (l.cell >= GAP_FROM) {
      ctx.fillStyle = GAP_COLOUR;
      for (let x = l.cell - 1; x < width; x += l.cell) ctx.fillRect(x, 0, 1, height);
      for (let y = l.cell - 1; y < height; y += l.cell) ctx.fillRect(0, y, width, 1);
    }
    if (c !== null) {
      const x = (c % l.columns) * l.cell, y = Math.floor(c / l.columns) * l.cell;
      ctx.strokeStyle = CURSOR_COLOUR;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 1, y - 1, l.cell + 1, l.cell + 1);
    }
    this.canvas.dataset.cursor = c === null ? "" : String(c);
  }
}
