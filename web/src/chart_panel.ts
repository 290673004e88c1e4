/** A chart with its title and its SVG and PNG download buttons, appended to a container. */
import { download, downloadUrl } from "./download.ts";
import { type Metric, SeriesChart } from "./series_chart.ts";

/** Add a chart of `metric` to `container`; `scenario` names the downloaded files. */
export function chartPanel(container: HTMLElement, metric: Metric & { id: string; title: string }, scenario: () => string): SeriesChart {
  const figure = document.createElement("figure");
  figure.className = "chart-panel";
  const caption = document.createElement("figcaption");
  const title = document.createElement("span");
  title.textContent = metric.title;
  caption.append(title);
  const plot = document.createElement("div");
  plot.className = "chart";
  plot.id = `chart-${metric.id}`;
  figure.append(caption, plot);
  container.append(figure);
  const chart = new SeriesChart(plot, metric);
  for (const kind of ["svg", "png"] as const) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.id = `chart-${metric.id}-${kind}`;
    b.textContent = kind.toUpperCase();
    b.title = `Download this chart as ${kind.toUpperCase()}`;
    b.addEventListener("click", () => {
      const name = `${scenario()}.${metric.id}.${kind}`;
      if (kind === "svg") download(name, chart.svg(), "image/svg+xml");
      else downloadUrl(name, chart.png());
    });
    caption.append(b);
  }
  return chart;
}
