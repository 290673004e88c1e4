/**
 * The khugesim page: `npm run web` serves it, `npm run web:build` writes web/dist.
 * Both the dev and the preview server send the two headers that make the page
 * cross-origin isolated, which shared WebAssembly memory (the core's) requires.
 */
import { fileURLToPath } from "node:url";
import { defineConfig, type Rollup } from "vite";

/** COOP + COEP: without both, `crossOriginIsolated` is false and SharedArrayBuffer is absent. */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

const root = fileURLToPath(new URL(".", import.meta.url));

/** Drop Rollup's notes about comments it cannot place inside dependencies (zod has some): they are not ours to fix. */
function onwarn(log: Rollup.RollupLog, warn: (log: Rollup.RollupLog) => void): void {
  if (log.code === "INVALID_ANNOTATION" && log.id?.includes("/node_modules/")) return;
  warn(log);
}

export default defineConfig({
  root,
  // Relative asset URLs: the built page works from any folder it is copied to.
  base: "./",
  server: {
    headers: ISOLATION_HEADERS,
    // The page imports the library from ../host and the core from ../build.
    fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] },
  },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1500, rollupOptions: { onwarn } },
});
