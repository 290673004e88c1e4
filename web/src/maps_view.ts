/**
 * The PMD maps of every task under every variant at one moment, with a timeline to
 * scrub or play through the run. Frames of different variants line up by interval:
 * every variant samples the same simulated times.
 */
import type { Frame } from "../../host/mod.ts";
import { drawPmdMap } from "./pmd_canvas.ts";

/** Frames shown per second of playback. */
const PLAY_FPS = 24;

interface TaskRow {
  canvas: HTMLCanvasElement;
  figure: HTMLElement;
}

export interface MapsElements {
  container: HTMLElement;
  slider: HTMLInputElement;
  label: HTMLOutputElement;
  play: HTMLButtonElement;
}

export class MapsView {
  readonly #el: MapsElements;
  #frames = new Map<string, Frame[]>();
  #rows = new Map<string, TaskRow>();
  #blocks = new Map<string, HTMLElement>();
  /** Follow the newest frame while a run streams in. */
  #live = true;
  #timer: ReturnType<typeof setInterval> | null = null;
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
    this.#el.container.replaceChildren();
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
    this.#el.slider.max = "0";
    this.#el.slider.value = "0";
    this.#el.slider.disabled = true;
    this.#el.play.disabled = true;
    this.#el.label.value = "t = 0 s";
  }

  /** Add a frame of the running variant and, when following the run, show it. */
  add(frame: Frame): void {
    const list = this.#frames.get(frame.variant);
    if (!list) return;
    list.push(frame);
    const count = this.#count();
    this.#el.slider.max = String(count - 1);
    this.#el.slider.disabled = false;
    this.#el.play.disabled = false;
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
    const count = this.#count();
    if (count === 0) return;
    this.#live = false;
    let i = Number(this.#el.slider.value);
    if (i >= count - 1) i = 0;
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

  /** Show frame `i` of every variant (or its last, if it has fewer). */
  #show(i: number): void {
    let timeS: number | null = null;
    for (const [variant, list] of this.#frames) {
      const frame = list[Math.min(i, list.length - 1)];
      if (!frame) continue;
      timeS ??= frame.timeS;
      for (const t of frame.tasks) {
        const row = this.#row(variant, t.name);
        drawPmdMap(row.canvas, t.pmds);
        const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
        const parts = [`AnonHugePages ${mib(t.anonHugePagesKb)}`];
        if (t.lazyFreeKb > 0) parts.push(`LazyFree ${mib(t.lazyFreeKb)}`);
        if (t.swapKb > 0) parts.push(`Swap ${mib(t.swapKb)}`);
        row.figure.textContent = t.alive ? parts.join("\n") : "exited";
      }
    }
    this.#el.label.value = timeS === null ? "t = 0 s" : `t = ${timeS.toFixed(1)} s`;
    this.onTime(timeS);
  }

  #row(variant: string, task: string): TaskRow {
    const key = `${variant}\u0000${task}`;
    let row = this.#rows.get(key);
    if (row) return row;
    const div = document.createElement("div");
    div.className = "task-map";
    div.dataset.task = task;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = task;
    name.title = task;
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `PMD map of ${task} under ${variant}`);
    const figure = document.createElement("span");
    figure.className = "figure";
    div.append(name, canvas, figure);
    this.#blocks.get(variant)?.append(div);
    row = { canvas, figure };
    this.#rows.set(key, row);
    return row;
  }
}
