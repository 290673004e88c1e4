/**
 * Two tiers of tests. `unit` runs in this process's workers and needs nothing but the
 * built core: `npm run test:unit`. `e2e` starts other programs (npm pack and install,
 * Chromium, Deno, the CLI as a process of its own) and so depends on what the machine
 * has: `npm run test:e2e`. `npm test` (and CI) runs both.
 */
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/** The files that spawn a program: a subprocess is what each of them tests. */
const E2E = [
  "test/package.test.ts",
  "test/runtime_browser.test.ts",
  "test/runtime_deno.test.ts",
  "test/cli_process.test.ts",
  "test/output_interrupt.test.ts",
  // These two also change the machine's THP sysfs under one lock (real_thp_fixture.ts): one
  // file at a time, neither waits out the other's cases within a hook's or a test's timeout.
  "test/capture_real.test.ts",
  "test/mthp_fault_real.test.ts",
];

export default defineConfig({
  test: {
    // Vitest's default leaves a core idle, which on a 2-core machine runs the unit tier in one
    // worker (88 s there against 56 s with two); the tests wait on CPU, not on I/O.
    maxWorkers: availableParallelism(),
    projects: [
      // Timeouts with room for a loaded machine: no test may need an idle one.
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: E2E, testTimeout: 30_000, hookTimeout: 60_000 } },
      // Subprocesses compete for the machine's cores with one another: one file at a time, with room to wait.
      { extends: true, test: { name: "e2e", include: E2E, fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});
