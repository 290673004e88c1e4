/**
 * The PMD maps of every task under every variant at one moment, with a timeline to
 * scrub or play through the run. Frames of different variants line up by interval:
 * every variant samples the same simulated times. The maps live in the worker: this
 * view asks it for tiles of what it shows, one request at a time, and for the PMDs
 * under the pointer. The wheel zooms a task's maps (under every variant at once), a
 * drag pans them, a double click shows the whole map again.
 */
import { cellAt, cellRange, mapLayout, zoomRange } from "./map_layout.ts";
import { MapRow } from "./map_row.ts";
import { describeStates } from "./pmd_colours.ts";
import type { FrameSummary, MapRef, PageMessage, PmdsInfo, Tile } from "./protocol.ts";

/** Frames shown per second of playback. */
const PLAY_FPS = 24;
/** Tiles are asked for at most this often while following a run, in ms. */
const LIVE_MS = 250;
/** Time spent drawing tiles before the main thread is given back, in ms. */
const DRAW_MS = 12;
/**
 * Maps drawn per animation frame at most: the frame's commit copies each canvas drawn in it,
 * and 128 maps (64 generated mms under two variants) drawn in 7 ms made a 55–88 ms commit.
 */
const MAPS_PER_FRAME = 16;

export interface MapsElements {
  container: HTMLElement;
  slider: HTMLInputElement;
  label: HTMLOutputElement;
  play: HTMLButtonElement;
  /** Where the PMDs under the pointer are described. */
  hover: HTMLElement;
}

const hex = (a: number) => `0x${a.toString(16)}`;
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

export class MapsView {
  readonly #el: MapsElements;
  #frames = new Map<string, FrameSummary[]>();
  #rows = new Map<string, MapRow>();
  #blocks = new Map<string, HTMLElement>();
  /** PMD indexes shown of each task's map; absent: all. */
  #zoom = new Map<string, [number, number]>();
  #shown = 0;
  /** Follow the newest frame while a run streams in. */
  #live = true;
  #timer: ReturnType<typeof setInterval> | null = null;
  #nextId = 1;
  #pendingTiles = 0;
  #dirty = false;
  #pendingPmds = 0;
  /** When tiles were last asked for, and the pending later request while following a run. */
  #askedAt = -Infinity;
  #later: ReturnType<typeof setTimeout> | null = null;
  /** Sends a request to the worker that holds the maps. */
  send: (m: PageMessage) => void = () => {};
  /** Told the time shown whenever it changes. */
  onTime: (timeS: number | null) => void = () => {};

  constructor(el: MapsElements) {
    this.#el = el;
    el.slider.addEventListener("input", () => {
      this.#live = false;
      this.#stop();
      this.#show(Number(el.slider.value));
    });
    el.play.addEventListener("click", () => (this.#timer ? this.#stop() : this.#play()));
  }

  /** Start over for a run of `variants`. */
  reset(variants: string[]): void {
    this.#stop();
    this.#frames = new Map(variants.map((v) => [v, []]));
    this.#rows.clear();
    this.#blocks.clear();
    this.#zoom.clear();
    this.#pendingTiles = this.#pendingPmds = 0;
    this.#dirty = false;
    if (this.#later !== null) clearTimeout(this.#later);
    this.#later = null;
    this.#el.container.replaceChildren();
    this.#el.hover.textContent = "";
    for (const v of variants) {
      const block = document.createElement("div");
      block.className = "variant-maps";
      block.dataset.variant = v;
      const h = document.createElement("h3");
      h.textContent = v;
      block.append(h);
      this.#el.container.append(block);
      this.#blocks.set(v, block);
    }
    this.#live = true;
    Object.assign(this.#el.slider, { max: "0", value: "0", disabled: true });
    this.#el.play.disabled = true;
    this.#el.label.value = "t = 0 s";
  }

  /** Add a frame of the running variant and, when following the run, show it. */
  add(frame: FrameSummary): void {
    const list = this.#frames.get(frame.variant);
    if (!list) return;
    list.push(frame);
    this.#el.slider.max = String(this.#count() - 1);
    this.#el.slider.disabled = this.#el.play.disabled = false;
    if (this.#live) {
      this.#el.slider.value = String(list.length - 1);
      this.#show(list.length - 1);
    }
  }

  /** Frames of the variant with the most. */
  #count(): number {
    let n = 0;
    for (const list of this.#frames.values()) n = Math.max(n, list.length);
    return n;
  }

  #play(): void {
    if (this.#count() === 0) return;
    this.#live = false;
    let i = Number(this.#el.slider.value);
    if (i >= this.#count() - 1) i = 0;
    this.#el.play.textContent = "Pause";
    this.#timer = setInterval(() => {
      this.#el.slider.value = String(i);
      this.#show(i);
      if (++i >= this.#count()) this.#stop();
    }, 1000 / PLAY_FPS);
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#el.play.textContent = "Play";
  }

  /** The frame of `variant` shown at slider position `i` (its last, if it has fewer). */
  #frameAt(variant: string, i = this.#shown): { frame: FrameSummary; index: number } | null {
    const list = this.#frames.get(variant) ?? [];
    const index = Math.min(i, list.length - 1);
    return index < 0 ? null : { frame: list[index], index };
  }

  /** Show frame `i` of every variant: figures now, maps when the worker's tiles come. */
  #show(i: number): void {
    this.#shown = i;
    let timeS: number | null = null;
    for (const variant of this.#frames.keys()) {
      const at = this.#frameAt(variant);
      if (!at) continue;
      timeS ??= at.frame.timeS;
      for (const t of at.frame.tasks) {
        const row = this.#row(variant, t.name);
        const parts = [`AnonHugePages ${mib(t.anonHugePagesKb)}`];
        if (t.lazyFreeKb > 0) parts.push(`LazyFree ${mib(t.lazyFreeKb)}`);
        if (t.swapKb > 0) parts.push(`Swap ${mib(t.swapKb)}`);
        const [start, end] = this.#range(t.name, t.pmds);
        if (end - start < t.pmds) parts.push(`PMDs ${start}–${end - 1} of ${t.pmds}`);
        else if (t.pmds > mapLayout(0, t.pmds).cells) parts.push(`${t.pmds} PMDs, ${mapLayout(0, t.pmds).per} a cell`);
        row.figures(t.alive ? parts.join("\n") : "exited");
      }
    }
    this.#el.label.value = timeS === null ? "t = 0 s" : `t = ${timeS.toFixed(1)} s`;
    this.onTime(timeS);
    this.#requestTiles();
  }

  #range(task: string, pmds: number): [number, number] {
    const z = this.#zoom.get(task);
    return z && z[1] <= pmds ? z : [0, pmds];
  }

  /** The map `row` shows now. */
  #ref(row: MapRow): { ref: MapRef; frame: FrameSummary } | null {
    const at = this.#frameAt(row.variant);
    const t = at?.frame.tasks.find((x) => x.name === row.task);
    if (!at || !t) return null;
    const [start, end] = this.#range(row.task, t.pmds);
    return { ref: { variant: row.variant, frame: at.index, task: row.task, start, end }, frame: at.frame };
  }

  #requestTiles(): void {
    if (this.#pendingTiles !== 0) {
      this.#dirty = true;
      return;
    }
    // While a run streams in, the worker's time goes to the run: ask at most every LIVE_MS.
    const wait = this.#live ? this.#askedAt + LIVE_MS - performance.now() : 0;
    if (wait > 0) {
      this.#later ??= setTimeout(() => {
        this.#later = null;
        this.#requestTiles();
      }, wait);
      return;
    }
    this.#askedAt = performance.now();
    const maps = [...this.#rows.values()].flatMap((row) => {
      const ref = this.#ref(row)?.ref;
      return ref ? [{ ...ref, drawn: row.token }] : [];
    });
    if (maps.length === 0) return;
    this.#pendingTiles = this.#nextId++;
    this.send({ type: "tiles", id: this.#pendingTiles, maps });
  }

  /**
   * The worker's answer to the last request for tiles, drawn a few at a time (DRAW_MS and
   * MAPS_PER_FRAME each animation frame) so that many large maps never make one long task.
   */
  tiles(id: number, tiles: Tile[]): void {
    if (id !== this.#pendingTiles) return;
    const draw = () => {
      if (id !== this.#pendingTiles) return;
      const until = performance.now() + DRAW_MS;
      for (let n = 0; n < MAPS_PER_FRAME && tiles.length > 0 && performance.now() < until; n++) {
        const { map, rgba, states, token } = tiles.shift()!;
        const frame = this.#frames.get(map.variant)?.[map.frame];
        const cursor = frame?.cursor?.task === map.task ? frame.cursor.pmd : null;
        this.#rows.get(`${map.variant}\u0000${map.task}`)?.draw(mapLayout(map.start, map.end), { rgba, states, token }, cursor);
      }
      if (tiles.length > 0) return void requestAnimationFrame(draw);
      this.#pendingTiles = 0;
      if (this.#dirty) {
        this.#dirty = false;
        this.#requestTiles();
      }
    };
    draw();
  }

  /** The worker's description of the PMDs under the pointer. */
  pmds(id: number, info: PmdsInfo | null): void {
    if (id !== this.#pendingPmds || !info) return;
    this.#pendingPmds = 0;
    const count = info.map.end - info.map.start;
    const what = count === 1 ? `PMD ${hex(info.from)}` : `${count} PMDs ${hex(info.from)}–${hex(info.to)}`;
    const scan = count === 1 ? `; khugepaged's last scan: ${info.lastScan ?? "not scanned yet"}` : "";
    this.#el.hover.textContent = `${info.map.task} (${info.map.variant}), ${what}: ${describeStates(info.states)}${scan}`;
  }

  #row(variant: string, task: string): MapRow {
    const key = `${variant}\u0000${task}`;
    let row = this.#rows.get(key);
    if (row) return row;
    row = new MapRow(variant, task);
    this.#listen(row);
    this.#blocks.get(variant)?.append(row.element);
    this.#rows.set(key, row);
    return row;
  }

  /** The cell under a pointer event and its PMD indexes. */
  #hit(row: MapRow, e: MouseEvent): { ref: MapRef; pmds: number; range: [number, number] } | null {
    const shown = this.#ref(row);
    const box = row.canvas.getBoundingClientRect();
    const c = row.layout && cellAt(row.layout, e.clientX - box.left, e.clientY - box.top);
    if (!shown || !row.layout || c === null) return null;
    const pmds = shown.frame.tasks.find((t) => t.name === row.task)?.pmds ?? 0;
    return { ref: shown.ref, pmds, range: cellRange(row.layout, c) };
  }

  #listen(row: MapRow): void {
    let dragX: number | null = null;
    row.canvas.addEventListener("mousemove", (e) => {
      const hit = this.#hit(row, e);
      if (dragX !== null && hit && row.layout) {
        const moved = Math.trunc((dragX - e.clientX) / row.layout.cell) * row.layout.per;
        if (moved !== 0) {
          dragX -= (moved / row.layout.per) * row.layout.cell;
          const [s, end] = [hit.ref.start + moved, hit.ref.end + moved];
          if (s >= 0 && end <= hit.pmds) this.#zoomTo(row.task, [s, end]);
        }
      }
      if (!hit) return;
      this.#pendingPmds = this.#nextId++;
      this.send({ type: "pmds", id: this.#pendingPmds, map: { ...hit.ref, start: hit.range[0], end: hit.range[1] } });
    });
    row.canvas.addEventListener("mousedown", (e) => (dragX = e.clientX));
    globalThis.addEventListener("mouseup", () => (dragX = null));
    row.canvas.addEventListener("wheel", (e) => {
      const hit = this.#hit(row, e);
      if (!hit) return;
      e.preventDefault();
      this.#zoomTo(row.task, zoomRange(hit.ref.start, hit.ref.end, hit.pmds, hit.range[0], e.deltaY < 0 ? 0.5 : 2));
    }, { passive: false });
    row.canvas.addEventListener("dblclick", () => {
      this.#zoom.delete(row.task);
      this.#show(this.#shown);
    });
  }

  #zoomTo(task: string, range: [number, number]): void {
    this.#zoom.set(task, range);
    this.#show(this.#shown);
  }
}
