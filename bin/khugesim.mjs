#!/usr/bin/env node
// In the repository (it has a tsconfig.json), run the TypeScript CLI through tsx; in the
// installed package, whose sources are there for its source maps only, run the compiled dist/.
import { existsSync } from "node:fs";

const source = new URL("../host/node/cli.ts", import.meta.url);
let main;
if (existsSync(new URL("../tsconfig.json", import.meta.url))) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import("../dist/node/cli.js"));
}
process.exitCode = await main(process.argv);
