/**
 * AnonHugePages over simulated time, one line per task and variant (colour by task,
 * dash by variant, as the CLI's SVG chart draws them), with a marker at the time the
 * PMD maps show.
 */
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { DASHES, PALETTE } from "../../host/mod.ts";

echarts.use([LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

/** One variant's points: per task, [seconds, MiB] pairs. */
export type VariantSeries = Map<string, Array<[number, number]>>;

export class HugeChart {
  readonly #chart: echarts.ECharts;
  #variants: string[] = [];
  #data = new Map<string, VariantSeries>();
  #cursorS: number | null = null;
  #pending = false;

  constructor(element: HTMLElement) {
    this.#chart = echarts.init(element, null, { renderer: "canvas" });
    globalThis.addEventListener?.("resize", () => this.#chart.resize());
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
  add(variant: string, task: string, timeS: number, anonHugePagesKb: number): void {
    const byTask = this.#data.get(variant);
    if (!byTask) return;
    let points = byTask.get(task);
    if (!points) byTask.set(task, points = []);
    points.push([timeS, anonHugePagesKb / 1024]);
    this.#schedule();
  }

  /** Replace a variant's lines by its finished time series. */
  replace(variant: string, series: VariantSeries): void {
    this.#data.set(variant, series);
    this.#schedule();
  }

  /** Move the time marker. */
  cursor(timeS: number | null): void {
    this.#cursorS = timeS;
    this.#schedule();
  }

  /** Coalesce updates to one redraw per animation frame. */
  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.#render();
    });
  }

  #render(): void {
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
    if (series.length > 0 && this.#cursorS !== null) {
      Object.assign(series[0], {
        markLine: {
          silent: true, symbol: "none", animation: false, label: { show: false },
          lineStyle: { color: "#6b7280", type: "solid", width: 1 },
          data: [{ xAxis: this.#cursorS }],
        },
      });
    }
    this.#chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: (v: unknown) => `${Number(v).toFixed(0)} MiB` },
      legend: { top: 4, type: "scroll" },
      grid: { left: 64, right: 24, top: 40, bottom: 44 },
      xAxis: { type: "value", name: "simulated time (s)", nameLocation: "middle", nameGap: 28, min: 0 },
      yAxis: { type: "value", name: "AnonHugePages (MiB)", nameLocation: "middle", nameGap: 44, min: 0 },
      series,
    }, { replaceMerge: ["series"] });
  }
}

/** A finished run's series as chart lines. */
export function seriesLines(points: ReadonlyArray<{ timeS: number; tasks: Record<string, { anonHugePagesKb: number }> }>): VariantSeries {
  const out: VariantSeries = new Map();
  for (const p of points) {
    for (const [task, s] of Object.entries(p.tasks)) {
      let line = out.get(task);
      if (!line) out.set(task, line = []);
      line.push([p.timeS, s.anonHugePagesKb / 1024]);
    }
  }
  return out;
}
