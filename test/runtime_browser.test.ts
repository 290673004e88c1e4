/**
 * The browser leg of the runtime matrix: the page built by Vite, served from
 * 127.0.0.1 with and without cross-origin isolation, driven in Debian's Chromium.
 * The page's downloads must equal what Node computes for the same run, byte for byte.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium), or KHUGESIM_CHROMIUM. Without
 * it the suite fails under CI=true and is skipped elsewhere.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { comparisonJson, createEngine, formatComparison, parseScenarioText } from "../host/node/mod.ts";
import { ISOLATION_HEADERS } from "../web/vite.config.ts";
import { runSeed, SEED_PRESET } from "./runtime/seed_output.ts";
import { serveStatic, type StaticServer } from "./runtime/static_server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.KHUGESIM_CHROMIUM ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = (process.env.CI ?? "") !== "" && process.env.CI !== "false";
const MISSING = `Cannot run the browser tests: ${CHROMIUM} is missing; install Debian's Chromium ` +
  "(apt-get install -y chromium) or point KHUGESIM_CHROMIUM at a Chromium binary";

/** Flags for a headless Chromium in a container that must not reach the network. */
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

if (!HAVE_CHROMIUM && !IN_CI) console.warn(`${MISSING}. Skipping them (they fail under CI=true).`);

test.runIf(!HAVE_CHROMIUM && IN_CI)("Chromium is installed for the browser tests", () => {
  throw new Error(MISSING);
});

describe.skipIf(!HAVE_CHROMIUM)("the page in Chromium", () => {
  let outDir = "";
  let isolated: StaticServer;
  let plain: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "khugesim-web-"));
    // A child process: Vite inside vitest's worker would inherit NODE_ENV=test.
    const env = { ...process.env };
    delete env.NODE_ENV;
    await promisify(execFile)(process.execPath, [
      join(ROOT, "node_modules/vite/bin/vite.js"), "build", "web", "--outDir", outDir, "--emptyOutDir", "--logLevel", "error",
    ], { cwd: ROOT, env, maxBuffer: 16 << 20 });
    isolated = await serveStatic(outDir, ISOLATION_HEADERS);
    plain = await serveStatic(outDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  /** Run `fn` on a fresh page of `url` that records uncaught errors and console errors, then close it. */
  async function onPage(url: string, fn: (p: { page: Page; errors: string[] }) => Promise<void>): Promise<void> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    try {
      await page.goto(url);
      await fn({ page, errors });
    } finally {
      await page.close();
    }
  }

  async function downloadText(page: Page, selector: string): Promise<string> {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
    return readFile((await download.path())!, "utf8");
  }

  test("the page runs the seed preset cross-origin isolated and downloads Node's results byte for byte", async () => {
    const c = await runSeed(await createEngine());
    await onPage(isolated.url, async ({ page, errors }) => {
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      await expect(page.locator("#isolation-error").isHidden()).resolves.toBe(true);
      expect(await page.inputValue("#preset")).toBe(SEED_PRESET);
      await page.click("#run");
      await page.waitForSelector("body[data-state=done], body[data-state=error]", { timeout: 120_000 });
      expect(await page.getAttribute("body", "data-state"), await page.textContent("#status") ?? "").toBe("done");

      expect(await downloadText(page, "#download-json")).toBe(comparisonJson(c));
      for (const r of c.results) expect(await downloadText(page, `#download-trace-${r.variant}`)).toBe(r.trace);
      expect(await page.textContent("#comparison")).toBe(formatComparison(c));
      // Every task of every variant has a map, one cell per 2 MiB the buffer overlaps.
      expect(await page.locator(".task-map canvas").count()).toBe(c.results.length * 3);

      // The README's screenshot is refreshed on request only: a test run leaves the tree clean.
      if (process.env.UPDATE_SCREENSHOT === "1") {
        await page.locator("#results").scrollIntoViewIfNeeded();
        await mkdir(join(ROOT, "docs"), { recursive: true });
        await writeFile(join(ROOT, "docs/screenshot.png"), await page.screenshot({ fullPage: true }));
      }
      expect(errors).toEqual([]);
    });
  }, 180_000);

  test("the page shows the CLI's one-line error next to the scenario field", async () => {
    await onPage(isolated.url, async ({ page }) => {
      const text = "name: x\ntasks:\n  - name: a\n    vmas: [{ name: buf, size: 5000 }]\n";
      await page.fill("#scenario-text", text);
      await page.waitForFunction(() => document.getElementById("scenario-error")?.textContent !== "");
      let expected = "";
      try {
        parseScenarioText(text, "scenario.yaml");
      } catch (err) {
        expected = (err as Error).message;
      }
      expect(expected).toContain("tasks[0].vmas[0].size must be a multiple of 4096, got 5000");
      expect(await page.textContent("#scenario-error")).toBe(expected);
      expect(await page.getAttribute("#scenario-text", "aria-invalid")).toBe("true");
      expect(await page.isDisabled("#run")).toBe(true);
    });
  }, 60_000);

  test("the page shows a refused tunable next to its field, worded as the CLI words it", async () => {
    await onPage(isolated.url, async ({ page }) => {
      await page.fill("#tunable-khugepaged-pages_to_scan", "0");
      const error = page.locator("#tunable-khugepaged-pages_to_scan-error");
      await error.waitFor({ state: "visible" });
      expect(await error.textContent()).toBe(
        `Cannot load scenario "${SEED_PRESET}.yaml": tunables["khugepaged/pages_to_scan"] was refused by the kernel ` +
          "(EINVAL, expected an integer from 1 to 4294967295, got 0)",
      );
      expect(await page.isDisabled("#run")).toBe(true);
    });
  }, 60_000);

  test("the Benchmark panel times every scan core in the page and shows them beside the read limit", async () => {
    await onPage(isolated.url, async ({ page, errors }) => {
      expect(await page.inputValue("#bench-set")).toBe("cache");
      await page.click("#bench-run");
      await page.waitForSelector("#bench[data-state=done], #bench[data-state=error]", { timeout: 120_000 });
      expect(await page.getAttribute("#bench", "data-state"), await page.textContent("#bench-status") ?? "").toBe("done");
      const rows = (await page.textContent("#bench-table"))!.split("\n").map((l) => l.split(/\s{2,}|\s(?=\d)/)[0]);
      expect(rows).toEqual(["ts", "wasm", "simd", "read limit"]);
      expect(await page.textContent("#bench-status")).toMatch(/^cache: 64 PMDs, variant baseline; Mozilla\/5\.0 /);
      expect(await page.locator("#bench-chart canvas").count()).toBe(1);
      expect(errors).toEqual([]);
    });
  }, 180_000);

  test("a page that is not cross-origin isolated explains why it cannot run", async () => {
    await onPage(plain.url, async ({ page }) => {
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
      const banner = page.locator("#isolation-error");
      await banner.waitFor({ state: "visible" });
      expect(await banner.textContent()).toContain("not cross-origin isolated");
      expect(await banner.textContent()).toContain("Cross-Origin-Embedder-Policy: require-corp");
      expect(await page.isDisabled("#run")).toBe(true);
      // The form still works: the seed preset is shown and checked.
      expect(await page.inputValue("#preset")).toBe(SEED_PRESET);
    });
  }, 60_000);
});
