/**
 * The package as a user gets it: `npm pack`, installed into a fresh project, imported
 * by name in Node and type-checked against its shipped declarations. It must find its
 * WASM core on its own and compute what the repository computes.
 *
 * Needs `npm run build` first (npm test runs it): the tarball ships dist/ and the core.
 * Dependencies come from npm's cache when `npm ci` has filled it, else the registry.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compareScenario, comparisonJson, createEngine, loadPreset } from "../host/node/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
/**
 * npm without the project of the `npm test` that started us (its prefix, its package
 * and script), keeping the user's settings such as the cache and the registry.
 */
const NPM_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
  !/^npm_(package|lifecycle)_|^npm_config_(local_prefix|prefix|global_prefix)$/i.test(k)
));

/** What the installed package prints: the --json line and the whole comparison, for the seed preset. */
const CONSUMER = `
import { compareScenario, comparisonJson, createEngine, loadPreset } from "khugesim";
import * as web from "khugesim/web";
const c = await compareScenario(loadPreset("hot1-cold-hot2"), await createEngine());
let webError = "";
try { await web.createEngine(); } catch (err) { webError = err.message; }
process.stdout.write(JSON.stringify({ json: comparisonJson(c), full: JSON.stringify(c), webError }));
`;

/** The public names a TypeScript user reaches for, with their types. */
const TYPED_CONSUMER = `
import {
  anonHugeChartSvg, compareScenario, createEngine, type Frame, loadPreset, loadScenarioFile, PMD_STATES, type RunResult, runScenario,
  type TunablePath, type VariantName,
} from "khugesim";
const engine = await createEngine();
const c = await compareScenario(loadPreset("hot1-hot2"), engine, { variants: ["baseline"] });
const first: RunResult = c.results[0];
const state: "empty" | "small" | "lazyfree" | "swapped" | "huge" | "huge-lazyfree" | "mthp" = PMD_STATES[0];
const frames: Frame[] = [];
await runScenario(await loadScenarioFile("x.yaml"), engine, { frames: true, onEvent: (e) => { if (e.type === "frame") frames.push(e.frame); } });
const chart: string = anonHugeChartSvg(c.results);
const names: [VariantName, TunablePath] = ["7.1+lazyfree-keep", "khugepaged/max_ptes_none"];
export { chart, first, names, state };
`;

describe("the npm package", () => {
  let dir = "";
  let files: string[] = [];

  beforeAll(async () => {
    for (const f of ["dist/mod.js", "dist/node/mod.js", "dist/mod.d.ts", "build/khugesim.wasm"]) {
      if (!existsSync(join(ROOT, f))) throw new Error(`Cannot test the package: ${f} is missing; run npm run build`);
    }
    dir = await mkdtemp(join(tmpdir(), "khugesim-pack-"));
    // The build is fresh (npm test builds first): skip prepack's second build.
    const packed = await run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, env: NPM_ENV });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info.files.map((f) => f.path);
    const project = join(dir, "project");
    await run("mkdir", [project]);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    await run(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", join(dir, info.filename)], {
      cwd: project, env: NPM_ENV,
    });
    await writeFile(join(project, "consumer.mjs"), CONSUMER);
    await writeFile(join(project, "typed.ts"), TYPED_CONSUMER);
    for (const [name, module, moduleResolution] of [["tsconfig.json", "NodeNext", "NodeNext"], ["tsconfig.bundler.json", "ESNext", "Bundler"]]) {
      await writeFile(join(project, name), JSON.stringify({
        compilerOptions: { target: "ES2022", module, moduleResolution, strict: true, noEmit: true, lib: ["ES2022", "DOM"], types: [] },
        files: ["typed.ts"],
      }));
    }
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the tarball holds dist/ with its maps, the library's sources they point at, the release core and what the README links", () => {
    expect(files).toEqual(expect.arrayContaining([
      "package.json", "dist/mod.js", "dist/mod.d.ts", "dist/node/mod.js", "dist/node/mod.d.ts", "build/khugesim.wasm",
      "dist/mod.js.map", "dist/mod.d.ts.map", "host/mod.ts", "LICENSE", "CHANGELOG.md", "docs/library.md", "docs/screenshot.png",
    ]));
    const extra = files.filter((f) => !/^(dist\/|host\/|docs\/|build\/khugesim\.wasm$|bench\/native\/access_cost\.c$|bin\/khugesim\.mjs$|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f));
    expect(extra).toEqual([]);
    // Every relative link of the README reaches a file the package holds.
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const [, target] of readme.matchAll(/\]\((?!https?:|#)([^)]+)\)/g)) expect(files, target).toContain(target);
  });

  test("the installed khugesim command runs from dist/ and prints the repository's --json", async () => {
    const bin = join(dir, "project/node_modules/.bin/khugesim");
    const out = await run(bin, ["compare", "hot1-cold-hot2", "--json"], { cwd: join(dir, "project"), maxBuffer: 16 << 20 });
    const c = await compareScenario(loadPreset("hot1-cold-hot2"), await createEngine(), { trace: false });
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(out.stdout).toBe(comparisonJson(c, { tool: { name: "khugesim", version } }));
  }, 60_000);

  test("the installed khugesim runs bench scan, and sweep on worker threads from dist/", async () => {
    const bin = join(dir, "project/node_modules/.bin/khugesim");
    const cwd = join(dir, "project");
    const bench = await run(bin, ["bench", "scan", "--engine", "wasm,simd", "--time", "0.02", "--json"], { cwd });
    expect(Object.keys(JSON.parse(bench.stdout).engines)).toEqual(["wasm", "simd"]);
    await writeFile(join(cwd, "grid.yaml"), "scenario: hot1-hot2\nvariants: [baseline, lazyfree-skip]\nseeds: [1]\n");
    const sweep = await run(bin, ["sweep", "grid.yaml", "--workers", "2"], { cwd, maxBuffer: 16 << 20 });
    const lines = sweep.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { variant: string; result: unknown });
    const c = await compareScenario(loadPreset("hot1-hot2"), await createEngine(), { trace: false });
    expect(lines.map((l) => l.variant)).toEqual(["baseline", "lazyfree-skip"]);
    expect(JSON.stringify(lines.map((l) => l.result))).toBe(JSON.stringify(Object.values(JSON.parse(comparisonJson(c)).results)));
  }, 120_000);

  test("import \"khugesim\" in a fresh project finds its core and computes the repository's seed result", async () => {
    const out = await run(process.execPath, ["consumer.mjs"], { cwd: join(dir, "project"), maxBuffer: 64 << 20 });
    const got = JSON.parse(out.stdout) as { json: string; full: string; webError: string };
    const c = await compareScenario(loadPreset("hot1-cold-hot2"), await createEngine());
    expect(got.json).toBe(comparisonJson(c));
    expect(got.full).toBe(JSON.stringify(c));
    expect(got.webError).toMatch(/^Cannot load the WASM core from "file:.*\/build\/khugesim\.wasm": this runtime cannot fetch file: URLs/);
  }, 60_000);

  test.each(["tsconfig.json", "tsconfig.bundler.json"])(
    "the shipped declarations type-check a Node TypeScript consumer with %s (NodeNext or Bundler, strict, no skipLibCheck)", async (config) => {
      const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
      const result = await run(process.execPath, [tsc, "-p", config], { cwd: join(dir, "project") }).catch((e) => e);
      expect(`${result.stdout ?? ""}${result.stderr ?? ""}`).toBe("");
    }, 60_000);
});
