/** The AnonHugePages SVG chart: readable on any background, in print, with every line visible. */
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { anonHugeChartSvg, niceTicks } from "../host/report/anon_huge_chart.ts";
import { type CompareResult, compareScenario } from "../host/run/compare.ts";
import { createEngine } from "../host/node/mod.ts";
import { loadPreset, validateScenario } from "../host/scenario/mod.ts";

/** The `y` of every <text> holding exactly `label`. */
function textYs(svg: string, label: string): number[] {
  return [...svg.matchAll(/<text [^>]*\by="([\d.]+)"[^>]*>([^<]*)<\/text>/g)].filter((m) => m[2] === label).map((m) => Number(m[1]));
}

/** The lines of each panel, in drawing order: stroke colour and width. */
function panelLines(svg: string): Array<Array<{ colour: string; width: number; title: string }>> {
  const panels = svg.split(/<text [^>]*font-weight="bold"[^>]*>[^<]*<\/text>/).slice(2);
  return panels.map((p) => [...p.matchAll(/<path d="[^"]*" fill="none" stroke="([^"]+)" stroke-width="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g)]
    .map((m) => ({ colour: m[1], width: Number(m[2]), title: m[3] })));
}

let seed: CompareResult;
let svg: string;
beforeAll(async () => {
  seed = await compareScenario(loadPreset("hot1-cold-hot2"), await createEngine());
  svg = anonHugeChartSvg(seed.results);
});

describe("anonHugeChartSvg()", () => {
  test("paints an opaque white background over the whole picture before anything else", () => {
    const [, w, h] = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
    const body = svg.replace(/^<svg[^>]*>\n<title>[^<]*<\/title>\n/, "");
    expect(body.startsWith(`<rect width="${w}" height="${h}" fill="#ffffff"/>`)).toBe(true);
    expect(svg).not.toMatch(/<svg[^>]*fill="none"/);
  });

  test("puts the title above the legend and the legend above the first panel", () => {
    const [title] = textYs(svg, "AnonHugePages (MiB) per task: hot1-cold-hot2");
    const legend = ["hot1", "cold", "hot2"].flatMap((t) => textYs(svg, t));
    const [firstPanel] = textYs(svg, "baseline");
    // 16 px title text, 13 px legend text: baselines that far apart do not overlap.
    expect(Math.min(...legend) - 13).toBeGreaterThan(title);
    expect(firstPanel - 14).toBeGreaterThan(Math.max(...legend));
  });

  test("gives each variant a panel of its own, so no variant's line lies under another's", () => {
    expect(textYs(svg, "baseline")).toHaveLength(1);
    expect(textYs(svg, "lazyfree-skip")).toHaveLength(1);
    const panels = panelLines(svg);
    expect(panels.map((p) => p.map((l) => l.title))).toEqual([
      ["hot1 (baseline)", "cold (baseline)", "hot2 (baseline)"],
      ["hot1 (lazyfree-skip)", "cold (lazyfree-skip)", "hot2 (lazyfree-skip)"],
    ]);
  });

  test("tells tasks apart by colour, marker shape and width, widest drawn first so a coinciding line shows inside it", () => {
    // For most of baseline's run cold and hot2 both stay at 0 MiB (cold's PMDs collapse only at
    // its end, once its own loads make them young again): the later, thinner line must lie on top.
    const base = seed.results[0];
    const coinciding = base.series.filter((p) => (p.tasks.cold?.anonHugePagesKb ?? 0) === (p.tasks.hot2?.anonHugePagesKb ?? 0));
    expect(coinciding.length).toBeGreaterThan(base.series.length / 2);
    for (const lines of panelLines(svg)) {
      expect(new Set(lines.map((l) => l.colour)).size).toBe(lines.length);
      for (let i = 1; i < lines.length; i++) expect(lines[i].width).toBeLessThan(lines[i - 1].width);
    }
    const shapes = ["<circle", "<rect x=", "<polygon"].map((tag) => svg.split(tag).length - 1);
    for (const n of shapes) expect(n).toBeGreaterThan(0);
  });

  test("escapes a task name holding XML's special characters", async () => {
    const s = validateScenario({
      name: "quoted", variants: ["baseline"], durationS: 2,
      tasks: [{ name: `web,db "<main>" & co`, vmas: [{ name: "buf", size: "2 MiB", populate: true }] }],
    }, "quoted");
    const out = anonHugeChartSvg((await compareScenario(s, await createEngine(), { variants: ["baseline"] })).results);
    expect(out).toContain("web,db &#34;&#60;main&#62;&#34; &#38; co");
    expect(out).not.toContain("<main>");
  });
});

describe("niceTicks()", () => {
  test("runs from 0 past the maximum in about five steps of 1, 2 or 5 × 10^k", () => {
    fc.assert(fc.property(fc.double({ min: 1e-3, max: 1e9, noNaN: true }), (max) => {
      const t = niceTicks(max);
      const step = t[1] - t[0];
      expect(t[0]).toBe(0);
      expect(t.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(t.at(-2)!).toBeLessThan(max);
      expect(t.length).toBeGreaterThanOrEqual(3);
      expect(t.length).toBeLessThanOrEqual(7);
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    }));
  });
});
