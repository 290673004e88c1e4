/** loadCore() takes the core from bytes or a Response and exposes both scan cores. */
import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { CoreMemory } from "../host/core/core_memory.ts";
import { loadCore } from "../host/core/wasm_core.ts";

const bytes = await readFile(new URL("../build/khugesim.wasm", import.meta.url));
const memory = () => new CoreMemory({ maxBytes: 1024 * 1024 });

describe("loadCore()", () => {
  test("loadCore() instantiates from bytes and names the cores wasm and simd", async () => {
    const core = await loadCore(memory(), bytes);
    expect([core.scalar.name, core.simd.name]).toEqual(["wasm", "simd"]);
    expect(typeof core.exports.scanPmdsSimd).toBe("function");
  });

  test.each(["application/wasm", "application/octet-stream"])(
    "loadCore() instantiates from a Response served as %s",
    async (type) => {
      const core = await loadCore(memory(), new Response(bytes, { headers: { "Content-Type": type } }));
      expect(typeof core.scalar.scanPmds).toBe("function");
    },
  );

  test("loadCore() rejects a failed HTTP response with its status", async () => {
    await expect(loadCore(memory(), new Response("no", { status: 404 }))).rejects.toThrow(/HTTP 404/);
  });

  test("loadCore() says the core is not built when a dev server answers its URL with the page's HTML", async () => {
    const page = new Response("<!doctype html><html></html>", { headers: { "Content-Type": "text/html" } });
    await expect(loadCore(memory(), page)).rejects.toThrow(
      /^Cannot load the WASM core from "": the WASM core is not built \(the server sent text\/html, not a WebAssembly module\): run npm run build$/,
    );
  });
});
