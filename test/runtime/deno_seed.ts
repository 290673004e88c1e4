/**
 * The Deno leg of the runtime matrix: the library's TypeScript sources as they are,
 * the core fetched from its file: URL. Prints seedOutput() for test/runtime_deno.test.ts.
 *
 * Usage: deno run --allow-read=. --allow-env=LOG_TOKENS,LOG_STREAM test/runtime/deno_seed.ts
 */
import { createEngine } from "../../host/mod.ts";
import { runSeed, seedOutput } from "./seed_output.ts";

declare const Deno: { stdout: { write(bytes: Uint8Array): Promise<number> } };

const out = await seedOutput(await runSeed(await createEngine()));
await Deno.stdout.write(new TextEncoder().encode(out));
