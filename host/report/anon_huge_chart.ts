/**
 * AnonHugePages of every task over time, one line per task and variant (the first
 * variant solid, the others dashed), rendered to SVG text by echarts' server-side
 * renderer: no DOM needed.
 */
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import type { RunResult } from "../run/result.ts";
import { DASHES, PALETTE } from "./chart_style.ts";
import { taskNames } from "./compare_table.ts";

echarts.use([LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

/** An SVG document charting AnonHugePages (MiB) per task against time for each run. */
export function anonHugeChartSvg(results: RunResult[], options: { width?: number; height?: number } = {}): string {
  const width = options.width ?? 960;
  const height = options.height ?? 480;
  const tasks = taskNames(results);
  const series = results.flatMap((r, v) => tasks.map((task, i) => ({
    type: "line" as const,
    name: `${task} (${r.variant})`,
    showSymbol: false,
    step: "end" as const,
    lineStyle: { width: 2, type: DASHES[v % DASHES.length] },
    color: PALETTE[i % PALETTE.length],
    data: r.series.filter((p) => p.tasks[task]).map((p) => [p.timeS, p.tasks[task].anonHugePagesKb / 1024]),
  })));
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      title: { text: `AnonHugePages per task: ${results[0]?.scenario ?? ""}`, left: "center", textStyle: { fontSize: 14 } },
      legend: { top: 28, type: "plain" },
      grid: { left: 70, right: 30, top: 80, bottom: 50 },
      xAxis: { type: "value", name: "simulated time (s)", nameLocation: "middle", nameGap: 30, min: 0 },
      yAxis: { type: "value", name: "AnonHugePages (MiB)", nameLocation: "middle", nameGap: 50, min: 0 },
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
