/**
 * One figure of the time series over simulated time (AnonHugePages, dTLB load misses,
 * cycles per access), one line per task and variant (colour by task, dash by variant,
 * as the CLI's SVG chart draws them; past LINES_PER_VARIANT tasks, those of one colour
 * share a series), with a marker at the time the PMD maps show, and
 * its download as SVG or PNG.
 */
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer, SVGRenderer } from "echarts/renderers";
import { DASHES, PALETTE, type SeriesPoint, type TaskSample } from "../../host/mod.ts";

echarts.use([
  LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer, SVGRenderer,
]);

/** Redraws at most this often while a run streams in: a redraw of many lines is a long task. */
const REDRAW_MS = 1000;
/**
 * Lines a redraw adds at most; the rest follow in tasks of their own. ECharts builds a
 * line's model and view on its first draw: 128 new lines (64 generated mms under two
 * variants) took 86 ms in one task, a redraw of the same lines 34 ms.
 */
const NEW_LINES_PER_DRAW = 16;
/**
 * Series per variant at most: beyond, tasks share a series of their colour (the palette's
 * length divides it), so 64 generated mms draw as 16 series a variant, not 64.
 */
const LINES_PER_VARIANT = 16;
/** The plot's margins inside the chart, in px (the cursor line spans the plot's height). */
const GRID = { left: 72, right: 24, top: 40, bottom: 44 };

/** What a chart plots of each task's sample. */
export interface Metric {
  /** The y axis's name, with its unit. */
  axis: string;
  value: (s: TaskSample) => number | null;
  /** Decimals in the tooltip. */
  digits: number;
  /** Shown instead of an empty plot when no task has a value. */
  empty: string;
}

/** One variant's points: per task, [seconds, value] pairs. */
type VariantLines = Map<string, Array<[number, number | null]>>;

export class SeriesChart {
  readonly metric: Metric;
  readonly #chart: echarts.ECharts;
  /** The time marker: a line over the chart, so that moving it redraws nothing. */
  readonly #marker = document.createElement("div");
  #variants: string[] = [];
  #data = new Map<string, VariantLines>();
  #cursorS: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #drawnAt = -Infinity;
  /** How many of the lines the chart draws now. */
  #lines = 0;

  constructor(element: HTMLElement, metric: Metric) {
    this.metric = metric;
    this.#chart = echarts.init(element, null, { renderer: "canvas" });
    this.#marker.className = "chart-cursor";
    this.#marker.hidden = true;
    element.append(this.#marker);
    globalThis.addEventListener?.("resize", () => {
      this.#chart.resize();
      this.#placeMarker();
    });
    this.#draw();
  }

  /** Forget every line; `variants` fixes the dash of each. */
  reset(variants: string[]): void {
    this.#variants = variants;
    this.#data = new Map(variants.map((v) => [v, new Map()]));
    this.#cursorS = null;
    this.#lines = 0;
    this.#schedule();
  }

  /** Append one point of `task` under `variant` (a live frame). */
  add(variant: string, task: string, timeS: number, value: number): void {
    const byTask = this.#data.get(variant);
    if (!byTask) return;
    let points = byTask.get(task);
    if (!points) byTask.set(task, points = []);
    points.push([timeS, value]);
    this.#schedule();
  }

  /**
   * Replace a variant's lines of the tasks in its finished time series; lines the series
   * has no task for (a generated map's mms, drawn from frames) stay.
   */
  replace(variant: string, series: readonly SeriesPoint[]): void {
    const byTask = this.#data.get(variant);
    if (!byTask) return;
    const fresh: VariantLines = new Map();
    for (const p of series) {
      for (const [task, s] of Object.entries(p.tasks)) {
        let line = fresh.get(task);
        if (!line) fresh.set(task, line = []);
        line.push([p.timeS, this.metric.value(s)]);
      }
    }
    for (const [task, line] of fresh) byTask.set(task, line);
    this.#schedule();
  }

  /** Move the time marker. */
  cursor(timeS: number | null): void {
    this.#cursorS = timeS;
    this.#placeMarker();
  }

  #placeMarker(): void {
    const x = this.#cursorS === null ? NaN : this.#chart.convertToPixel({ xAxisIndex: 0 }, this.#cursorS);
    this.#marker.hidden = !Number.isFinite(x);
    if (this.#marker.hidden) return;
    Object.assign(this.#marker.style, {
      left: `${x}px`, top: `${GRID.top}px`, height: `${this.#chart.getHeight() - GRID.top - GRID.bottom}px`,
    });
  }

  /** The chart as an SVG document, drawn at its size on the page. */
  svg(): string {
    const svg = echarts.init(null, null, {
      renderer: "svg", ssr: true, width: this.#chart.getWidth(), height: this.#chart.getHeight(),
    });
    svg.setOption({ ...this.#option(), backgroundColor: "#ffffff" });
    const text = svg.renderToSVGString();
    svg.dispose();
    return text;
  }

  /** The chart as a PNG data URL, at twice its size on the page. */
  png(): string {
    this.#draw(true);
    return this.#chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => this.#draw(), Math.max(0, this.#drawnAt + REDRAW_MS - performance.now()));
  }

  /**
   * Draw now, with at most NEW_LINES_PER_DRAW lines more than before (`all`: every line);
   * lines left out are drawn by the next task.
   */
  #draw(all = false): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#drawnAt = performance.now();
    const option = this.#option();
    const lines = option.series.length;
    this.#lines = all ? lines : Math.min(lines, this.#lines + NEW_LINES_PER_DRAW);
    this.#chart.setOption({ ...option, series: option.series.slice(0, this.#lines) }, { replaceMerge: ["series"] });
    this.#placeMarker();
    if (this.#lines < lines) this.#timer = setTimeout(() => this.#draw(), 0);
  }

  #option(): echarts.EChartsCoreOption & { series: unknown[] } {
    const tasks: string[] = [];
    for (const byTask of this.#data.values()) for (const t of byTask.keys()) if (!tasks.includes(t)) tasks.push(t);
    // Task i's line is in series i % groups, whose colour it has: one series per task up to LINES_PER_VARIANT.
    const groups = Math.min(tasks.length, LINES_PER_VARIANT);
    const series = this.#variants.flatMap((variant, v) => Array.from({ length: groups }, (_, g) => {
      const members = tasks.filter((_, i) => i % groups === g);
      const byTask = this.#data.get(variant);
      // A point without a value between two tasks' lines breaks the line there.
      const data = members.flatMap((task, k): Array<[number, number | null]> =>
        [...(k > 0 ? [[0, null] as [number, null]] : []), ...(byTask?.get(task) ?? [])]);
      return {
        type: "line" as const,
        name: `${members[0]}${members.length > 1 ? ` and ${members.length - 1} more` : ""} (${variant})`,
        showSymbol: false,
        step: "end" as const,
        animation: false,
        lineStyle: { width: 2, type: DASHES[v % DASHES.length] },
        color: PALETTE[g % PALETTE.length],
        data,
      };
    }));
    const hasData = series.some((s) => s.data.some(([, y]) => y !== null));
    const { axis, digits } = this.metric;
    return {
      animation: false,
      title: {
        show: !hasData, text: this.metric.empty, left: "center", top: "middle",
        textStyle: { color: "#6b7280", fontSize: 13, fontWeight: "normal" },
      },
      tooltip: { trigger: "axis", valueFormatter: (v: unknown) => (v === null ? "–" : Number(v).toFixed(digits)) },
      legend: { top: 4, type: "scroll" },
      grid: GRID,
      xAxis: { type: "value", name: "simulated time (s)", nameLocation: "middle", nameGap: 28, min: 0 },
      yAxis: { type: "value", name: axis, nameLocation: "middle", nameGap: 56, min: 0 },
      series,
    };
  }
}
