/**
 * The import graph of host/ and web/ has no circle, and each layer imports only the layers
 * below it (README "Development" draws them); no source file there is over 300 lines. The check reads the sources' import specifiers
 * itself, so it needs no bundler.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g;

/** Every .ts file under `dir`, relative to the repository. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** Each source file and the local files it imports (type-only imports included). */
function importGraph(dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap(sources)) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const targets = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) targets.add(relative(ROOT, resolve(ROOT, dirname(file), spec)));
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every elementary circle's smallest-named member first, found by one DFS per strongly connected part. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const circle = stack.slice(stack.indexOf(next));
        const key = [...circle].sort().join(" ");
        if (!seen.has(key)) {
          seen.add(key);
          found.push(circle);
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

/**
 * The layers of host/, lowest first: a folder imports only folders of a lower layer (and
 * itself). host/mod.ts is the library's public face; web/src imports host/ only through it.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["core"],
  ["kernel", "tlb"],
  ["mm"],
  ["khugepaged", "synth"],
  ["snapshot"],
  ["fullscan", "scenario"],
  ["run"],
  ["report"],
  ["sweep", "bench"],
  ["mod.ts"],
  ["node"],
];

/** The unit a file belongs to: its folder under host/ (mod.ts for host/mod.ts), or web. */
function unit(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "web") return "web";
  return parts[1];
}

const LEVEL = new Map(LAYERS.flatMap((names, level) => names.map((n) => [n, level] as const)));

/** The imports of `graph` that break the layer rule, as "from -> to". */
function layerViolations(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [file, targets] of graph) {
    const from = unit(file);
    for (const target of targets) {
      const to = unit(target);
      if (to === from) continue;
      // The page also reads its name and version from package.json (data, bundled at build time).
      const ok = from === "web" ? target === "host/mod.ts" || target === "package.json" : LEVEL.get(to)! < LEVEL.get(from)!;
      if (!ok) bad.push(`${file} -> ${target}`);
    }
  }
  return bad;
}

const graph = importGraph(["host", "web/src"]);

/** The most lines a source file under host/ or web/src may have (one concept per file). */
const MAX_LINES = 300;

/** The files of `texts` longer than `limit` lines, as "file: N lines". */
function overLong(texts: Map<string, string>, limit: number): string[] {
  return [...texts].map(([file, text]) => [file, text.split("\n").length - (text.endsWith("\n") ? 1 : 0)] as const)
    .filter(([, lines]) => lines > limit).map(([file, lines]) => `${file}: ${lines} lines`);
}

describe("import graph", () => {
  test("circles() finds a circle in a graph that has one and none in a chain", () => {
    const circle = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(circles(circle).map((c) => [...c].sort())).toEqual([["a", "b", "c"]]);
    expect(circles(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]]))).toEqual([]);
  });

  test("host/ and web/ have no import circle", () => {
    const listed = circles(graph).map((c) => [...c, c[0]].join(" -> "));
    expect(listed).toEqual([]);
  });

  test("every host/ folder is in a layer", () => {
    const folders = new Set([...graph.keys()].filter((f) => f.startsWith("host/")).map(unit));
    expect([...folders].filter((f) => !LEVEL.has(f))).toEqual([]);
  });

  test("each folder imports only lower layers: mm/ never imports khugepaged/, web/src only host/mod.ts and package.json", () => {
    expect(layerViolations(graph)).toEqual([]);
    // The rule itself: an upward import is reported.
    expect(layerViolations(new Map([["host/mm/fault.ts", ["host/khugepaged/daemon.ts"]]]))).toHaveLength(1);
    expect(layerViolations(new Map([["web/src/main.ts", ["host/run/runner.ts", "package.json"]]]))).toEqual(["web/src/main.ts -> host/run/runner.ts"]);
  });

  test(`no source file under host/ or web/src is over ${MAX_LINES} lines`, () => {
    const texts = new Map([...graph.keys()].map((f) => [f, readFileSync(join(ROOT, f), "utf8")]));
    expect(overLong(texts, MAX_LINES)).toEqual([]);
    // The rule itself: a file one line over is reported, one at the limit is not.
    expect(overLong(new Map([["a.ts", "x\n".repeat(3)], ["b.ts", "x\n".repeat(2) + "x"]]), 2)).toEqual(["a.ts: 3 lines", "b.ts: 3 lines"]);
    expect(overLong(new Map([["a.ts", "x\n".repeat(2)]]), 2)).toEqual([]);
  });

  test("host/ outside host/node/ imports no Node module", () => {
    const nodeOnly = [...graph.keys()].filter((f) => f.startsWith("host/") && unit(f) !== "node")
      .filter((f) => /from\s+"node:/.test(readFileSync(join(ROOT, f), "utf8")));
    expect(nodeOnly).toEqual([]);
  });
});
