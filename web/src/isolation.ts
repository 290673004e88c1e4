/**
 * Whether the page can run the simulator: its WebAssembly core works on shared memory,
 * which browsers grant only to cross-origin isolated pages.
 */

/** Why the simulator cannot run here, in a sentence or two; null when it can. */
export function isolationProblem(): string | null {
  if (typeof WebAssembly !== "object") {
    return "Cannot run the simulator: this browser has no WebAssembly.";
  }
  if (!globalThis.crossOriginIsolated || typeof SharedArrayBuffer !== "function") {
    return "Cannot run the simulator: this page is not cross-origin isolated, so the browser withholds the " +
      "shared WebAssembly memory the simulator's core needs. Serve the page with the headers " +
      "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp " +
      "(npm run web does), or open it in a browser that supports cross-origin isolation.";
  }
  return null;
}
