/**
 * AnonHugePages of every task over time as an SVG document, written out directly (no
 * charting library, no DOM). Made to read in print and on dark viewers alike: an opaque
 * white background, one panel per variant under the variant's name (so variants never
 * hide one another), tasks told apart by colour, marker shape and line width, and lines
 * drawn widest first, so a task whose line coincides with another's shows as a stripe
 * inside it instead of vanishing.
 */
import type { RunResult } from "../run/result.ts";
import { MARKERS, PALETTE } from "./chart_style.ts";
import { taskNames } from "./compare_table.ts";

const FONT = 'font-family="sans-serif"';
const LEFT = 80;
const RIGHT = 24;
const PANEL = 190;
/** Space above a panel (its title) and below it (the time axis' labels). */
const ABOVE = 34;
const BELOW = 44;
/** Marker positions along a line. */
const MARKS = 10;

/** `text` safe inside an SVG text node or attribute. */
function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `n` rounded for an SVG coordinate. */
function px(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Axis ticks from 0 past `max`: a step of 1, 2 or 5 × 10^k, about five of them. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
    if (i * step >= max) return ticks;
  }
}

/** A marker of shape `shape` centred on (x, y). */
function marker(shape: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const r = 4.5;
  const fill = `fill="${colour}" stroke="#ffffff" stroke-width="1"`;
  if (shape === "circle") return `<circle cx="${px(x)}" cy="${px(y)}" r="${r}" ${fill}/>`;
  if (shape === "square") return `<rect x="${px(x - r)}" y="${px(y - r)}" width="${2 * r}" height="${2 * r}" ${fill}/>`;
  const pts = shape === "triangle"
    ? [[x, y - r - 1], [x + r + 1, y + r], [x - r - 1, y + r]]
    : [[x, y - r - 1], [x + r + 1, y], [x, y + r + 1], [x - r - 1, y]];
  return `<polygon points="${pts.map(([a, b]) => `${px(a)},${px(b)}`).join(" ")}" ${fill}/>`;
}

/** How task `i` of `n` is drawn: its colour, marker and line width (the first widest). */
function taskStyle(i: number, n: number) {
  return { colour: PALETTE[i % PALETTE.length], shape: MARKERS[i % MARKERS.length], width: 1.5 + (4.5 * (n - 1 - i)) / Math.max(1, n - 1) };
}

/** The legend: one entry per task, laid out in rows across the width. */
function legend(tasks: string[], width: number, top: number): { svg: string; height: number } {
  const parts: string[] = [];
  let x = LEFT;
  let y = top;
  tasks.forEach((task, i) => {
    const s = taskStyle(i, tasks.length);
    const w = 48 + 7.5 * task.length + 24;
    if (x + w > width - RIGHT && x > LEFT) {
      x = LEFT;
      y += 22;
    }
    parts.push(`<line x1="${px(x)}" y1="${px(y)}" x2="${px(x + 36)}" y2="${px(y)}" stroke="${s.colour}" stroke-width="${s.width}"/>`,
      marker(s.shape, x + 18, y, s.colour),
      `<text x="${px(x + 44)}" y="${px(y + 4.5)}" ${FONT} font-size="13" fill="#000000">${escapeXml(task)}</text>`);
    x += w;
  });
  return { svg: parts.join("\n"), height: y - top + 22 };
}

/** One variant's panel: its title, axes with grid lines, and a line per task. */
function panel(r: RunResult, tasks: string[], top: number, width: number, xMax: number, yTicks: number[]): string {
  const plotW = width - LEFT - RIGHT;
  const yMax = yTicks[yTicks.length - 1];
  const xTicks = niceTicks(xMax);
  const xEnd = xTicks[xTicks.length - 1];
  const X = (t: number) => LEFT + (t / xEnd) * plotW;
  const Y = (mib: number) => top + PANEL - (mib / yMax) * PANEL;
  const out = [
    `<text x="${LEFT}" y="${px(top - 12)}" ${FONT} font-size="14" font-weight="bold" fill="#000000">${escapeXml(r.variant)}</text>`,
    `<rect x="${LEFT}" y="${top}" width="${px(plotW)}" height="${PANEL}" fill="none" stroke="#666666"/>`,
  ];
  for (const v of yTicks) {
    out.push(`<line x1="${LEFT}" y1="${px(Y(v))}" x2="${px(LEFT + plotW)}" y2="${px(Y(v))}" stroke="#dddddd"/>`,
      `<text x="${LEFT - 8}" y="${px(Y(v) + 4)}" ${FONT} font-size="12" text-anchor="end" fill="#000000">${v}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${px(X(t))}" y1="${top}" x2="${px(X(t))}" y2="${top + PANEL}" stroke="#eeeeee"/>`,
      `<text x="${px(X(t))}" y="${top + PANEL + 17}" ${FONT} font-size="12" text-anchor="middle" fill="#000000">${t}</text>`);
  }
  out.push(`<text x="${px(LEFT + plotW / 2)}" y="${top + PANEL + 36}" ${FONT} font-size="12" text-anchor="middle" ` +
    `fill="#000000">simulated time (s)</text>`);
  tasks.forEach((task, i) => {
    const pts = r.series.filter((p) => p.tasks[task]).map((p) => [p.timeS, p.tasks[task].anonHugePagesKb / 1024]);
    if (pts.length === 0) return;
    const s = taskStyle(i, tasks.length);
    // A step at each sample: the value holds until the next one says otherwise.
    const path = pts.map(([t, v], k) => (k === 0 ? `M${px(X(t))},${px(Y(v))}` : `H${px(X(t))}V${px(Y(v))}`)).join("");
    out.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="${s.width}" stroke-linejoin="round">` +
      `<title>${escapeXml(`${task} (${r.variant})`)}</title></path>`);
    // Markers staggered by task, so that coinciding lines show every task's marker.
    for (let m = 0; m < MARKS; m++) {
      const [t, v] = pts[Math.min(pts.length - 1, Math.floor(((m + (i + 0.5) / tasks.length) / MARKS) * pts.length))];
      out.push(marker(s.shape, X(t), Y(v), s.colour));
    }
  });
  return out.join("\n");
}

/** An SVG document charting AnonHugePages (MiB) per task against time, one panel per run. */
export function anonHugeChartSvg(results: RunResult[], options: { width?: number } = {}): string {
  const width = options.width ?? 960;
  const tasks = taskNames(results);
  const title = `AnonHugePages (MiB) per task: ${results[0]?.scenario ?? ""}`;
  const key = legend(tasks, width, 58);
  const xMax = Math.max(0, ...results.flatMap((r) => r.series.map((p) => p.timeS)));
  const yMax = Math.max(0, ...results.flatMap((r) => r.series.flatMap((p) => Object.values(p.tasks).map((s) => s.anonHugePagesKb / 1024))));
  const yTicks = niceTicks(yMax);
  const first = 58 + key.height + ABOVE;
  const height = first + results.length * (PANEL + BELOW + ABOVE) - ABOVE + 8;
  const panels = results.map((r, v) => panel(r, tasks, first + v * (PANEL + BELOW + ABOVE), width, xMax, yTicks));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="28" ${FONT} font-size="16" font-weight="bold" text-anchor="middle" fill="#000000">${escapeXml(title)}</text>`,
    key.svg,
    ...panels,
    "</svg>",
  ].join("\n");
}
