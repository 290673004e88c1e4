/**
 * The Deno leg of the runtime matrix: Deno runs the library's TypeScript sources as
 * they are (npm dependencies from node_modules, the core fetched from its file: URL)
 * and must print what Node prints for the seed experiment, byte for byte.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { createEngine } from "../host/node/mod.ts";
import { runSeed, seedOutput } from "./runtime/seed_output.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));

/**
 * Read access to the repository only; yaml looks up two environment variables when it
 * parses. --no-lock keeps Deno from writing deno.lock; --cached-only keeps it offline.
 */
const DENO_ARGS = [
  "run", "--no-lock", "--cached-only", "--no-prompt", `--allow-read=${ROOT}`, "--allow-env=LOG_TOKENS,LOG_STREAM",
  "test/runtime/deno_seed.ts",
];

test("Deno runs the seed preset from the TypeScript sources and prints Node's output byte for byte", async () => {
  expect(existsSync(DENO), `${DENO} is missing: the deno npm package is a devDependency (npm ci installs it)`).toBe(true);
  const [node, deno] = await Promise.all([
    createEngine().then(runSeed).then(seedOutput),
    promisify(execFile)(DENO, DENO_ARGS, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      maxBuffer: 16 << 20,
    }),
  ]);
  expect(deno.stdout).toBe(node);
  expect(JSON.parse(node.split("\n")[0]).variants).toEqual(["baseline", "lazyfree-skip"]);
}, 120_000);
