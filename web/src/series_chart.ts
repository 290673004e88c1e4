/**
 * One figure of the time series over simulated time (AnonHugePages, dTLB load misses,
 * cycles per access), one line per task and variant (colour by task, dash by variant,
 * as the CLI's SVG chart draws them), with a marker at the time the PMD maps show, and
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
    this.#render();
  }

  /** Forget every line; `variants` fixes the dash of each. */
  reset(variants: string[]): void {
    this.#variants = variants;
    this.#data = new Map(variants.map((v) => [v, new Map()]));
    this.#cursorS = null;
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
    this.#flush();
    return this.#chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => this.#flush(true), Math.max(0, this.#drawnAt + REDRAW_MS - performance.now()));
  }

  /** Draw now; `lazy`: take the option now and draw it at the next animation frame (two shorter tasks, not one). */
  #flush(lazy = false): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#drawnAt = performance.now();
    this.#render(lazy);
  }

  #render(lazy = false): void {
    this.#chart.setOption(this.#option(), { replaceMerge: ["series"], lazyUpdate: lazy });
    this.#placeMarker();
  }

  #option(): echarts.EChartsCoreOption {
    const tasks: string[] = [];
    for (const byTask of this.#data.values()) for (const t of byTask.keys()) if (!tasks.includes(t)) tasks.push(t);
    const series = this.#variants.flatMap((variant, v) => tasks.map((task, i) => ({
      type: "line" as const,
      name: `${task} (${variant})`,
      showSymbol: false,
      step: "end" as const,
      animation: false,
      lineStyle: { width: 2, type: DASHES[v % DASHES.length] },
      color: PALETTE[i % PALETTE.length],
      data: this.#data.get(variant)?.get(task) ?? [],
    })));
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
