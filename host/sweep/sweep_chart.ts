/**
 * One chart per swept tunable: each task's cycles per access against the tunable's
 * values, a line per task and variant (colour by task, dash by variant, as the
 * AnonHugePages chart), each point the mean over the seeds and every other swept axis.
 * Rendered to SVG text by echarts' server-side renderer.
 */
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { DASHES, PALETTE } from "../report/chart_style.ts";
import type { SweepSummary } from "./sweep_summary.ts";

echarts.use([LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

const FIGURE = ".cyclesPerAccess";

/** The tunables with more than one value in the summary: the axes that get a chart. */
export function sweptTunables(s: SweepSummary): string[] {
  return s.tunables.filter((t) => new Set(s.rows.map((r) => r.point.tunables[t])).size > 1);
}

/** Means over the rows of each (variant, value of `tunable`) for figure `f`. */
function meansBy(s: SweepSummary, tunable: string, values: Array<string | number>, variant: string, f: number): Array<number | null> {
  return values.map((v) => {
    const xs = s.rows.filter((r) => r.point.variant === variant && r.point.tunables[tunable] === v)
      .map((r) => r.means[f]).filter((m): m is number => m !== null);
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  });
}

/** An SVG document charting each task's cycles per access against the values of `tunable`. */
export function sweepChartSvg(s: SweepSummary, tunable: string, options: { width?: number; height?: number } = {}): string {
  const values = [...new Set(s.rows.map((r) => r.point.tunables[tunable]))]
    .sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : 1));
  const variants = [...new Set(s.rows.map((r) => r.point.variant))];
  const tasks = s.figures.map((f, i) => [f, i] as const).filter(([f]) => f.endsWith(FIGURE));
  const series = variants.flatMap((variant, v) => tasks.map(([f, i], t) => ({
    type: "line" as const,
    name: `${f.slice(0, -FIGURE.length)} (${variant})`,
    lineStyle: { width: 2, type: DASHES[v % DASHES.length] },
    color: PALETTE[t % PALETTE.length],
    connectNulls: true,
    data: meansBy(s, tunable, values, variant, i),
  })));
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: options.width ?? 960, height: options.height ?? 480 });
  try {
    chart.setOption({
      animation: false,
      title: { text: `Cycles per access by ${tunable} (mean over seeds and other axes)`, left: "center", textStyle: { fontSize: 14 } },
      legend: { top: 36, type: "plain" },
      grid: { left: 70, right: 30, top: 100, bottom: 50 },
      // A category axis: swept values are often powers of two, evenly spaced this way.
      xAxis: { type: "category", data: values.map(String), name: tunable, nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "value", name: "cycles per access", nameLocation: "middle", nameGap: 50, min: 0 },
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
