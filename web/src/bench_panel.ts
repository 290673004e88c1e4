/**
 * The Benchmark panel: `khugesim bench scan` in the browser. It times the scan cores in a
 * worker with benchScan() and draws PTEs/s per core as bars beside the read-rate limit
 * measured in the same run, with the table of figures and the runtime that ran them.
 * `data-state` on the panel says where it is (idle, running, done, error).
 */
import { BarChart } from "echarts/charts";
import { GridComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { SCAN_SETS, type ScanBenchReport, type ScanSetName, VARIANTS } from "../../host/mod.ts";
import type { BenchReply, BenchRequest } from "./bench_worker.ts";

echarts.use([BarChart, GridComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export interface BenchElements {
  panel: HTMLElement;
  set: HTMLSelectElement;
  variant: HTMLSelectElement;
  run: HTMLButtonElement;
  status: HTMLElement;
  chart: HTMLElement;
  table: HTMLElement;
}

const M = (ptesPerS: number) => `${Math.round(ptesPerS / 1e6).toLocaleString("en-US")} M`;

function options(select: HTMLSelectElement, values: Iterable<string>): void {
  select.replaceChildren(...[...values].map((v) => Object.assign(document.createElement("option"), { value: v, textContent: v })));
}

/** Set up the panel; `disabled` (why the page cannot run, or null) keeps its button off. */
export function benchPanel(el: BenchElements, disabled: string | null): void {
  options(el.set, Object.keys(SCAN_SETS));
  options(el.variant, VARIANTS.keys());
  el.run.disabled = disabled !== null;
  el.panel.dataset.state = "idle";
  let chart: echarts.ECharts | null = null;
  el.run.addEventListener("click", () => {
    el.run.disabled = true;
    el.panel.dataset.state = "running";
    el.status.textContent = "Timing the scan cores (a few seconds each)…";
    const worker = new Worker(new URL("./bench_worker.ts", import.meta.url), { type: "module", name: "khugesim-bench" });
    const finish = (state: "done" | "error", text: string) => {
      worker.terminate();
      el.run.disabled = false;
      el.status.textContent = text;
      el.panel.dataset.state = state;
    };
    worker.onmessage = (e: MessageEvent<BenchReply>) => {
      if (e.data.type === "error") return finish("error", e.data.message);
      const r = e.data.report;
      chart ??= echarts.init(el.chart, null, { renderer: "canvas" });
      draw(chart, r);
      el.table.textContent = table(r);
      // The whole report, for a script that collects the figures of several runtimes (bench/scan_runtimes.ts).
      el.panel.dataset.report = JSON.stringify(r);
      finish("done", `${r.set}: ${r.pmds.toLocaleString("en-US")} PMDs, variant ${r.variant}; ${r.runtime}`);
    };
    worker.onerror = (e) => finish("error", `The benchmark worker failed: ${e.message || "it could not be loaded"}`);
    worker.postMessage({ set: el.set.value as ScanSetName, variant: el.variant.value, maxTime: 1 } satisfies BenchRequest);
  });
}

/** PTEs/s per core as bars, the read limit as a line across them. */
function draw(chart: echarts.ECharts, r: ScanBenchReport): void {
  const engines = Object.entries(r.engines);
  const bars = engines.map(([, x]) => Math.round(x.ptesPerS / 1e6));
  const limit = Math.round(r.readLimit.ptesPerS / 1e6);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 80, right: 30, top: 30, bottom: 40 },
    xAxis: { type: "category", data: engines.map(([e]) => e) },
    // Room for the read limit's line, which the bars rarely reach.
    yAxis: { type: "value", name: "M PTEs/s", nameLocation: "middle", nameGap: 60, max: Math.ceil(Math.max(limit, ...bars) * 1.1 / 500) * 500 },
    series: [{
      type: "bar",
      data: bars,
      itemStyle: { color: "#1f77b4" },
      markLine: {
        symbol: "none",
        label: { formatter: "read limit {c} M", position: "insideEndTop" },
        lineStyle: { color: "#d62728", type: "dashed" },
        data: [{ yAxis: limit }],
      },
    }],
  }, true);
}

/** The figures as `khugesim bench scan` lays them out. */
function table(r: ScanBenchReport): string {
  const rows = Object.entries(r.engines).map(([e, x]) => {
    const ratio = r.ratios[e as keyof ScanBenchReport["ratios"]]!;
    return `${e.padEnd(10)} ${M(x.ptesPerS).padStart(9)}  ±${x.rme.toFixed(1).padStart(5)} %  ` +
      `${(ratio.toTs === undefined ? "" : `${ratio.toTs.toFixed(2)}× ts`).padStart(9)}  ${ratio.toReadLimit.toFixed(2)} of read limit`;
  });
  return [...rows, `${"read limit".padEnd(10)} ${M(r.readLimit.ptesPerS).padStart(9)}  ±${r.readLimit.rme.toFixed(1).padStart(5)} %`].join("\n");
}
