#!/usr/bin/env node
// Runs the TypeScript CLI through tsx until the package ships a compiled dist/.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host/node/cli.ts");
process.exitCode = await main(process.argv);
