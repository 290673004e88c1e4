/** The CLI's engines: the WASM cores loaded from build/, or the TypeScript reference cores. */
import { type Engine, tsEngine, wasmEngine } from "../run/engine.ts";
import { createCore } from "./load_core.ts";

/** A fresh engine of `kind` with the CLI's default memory. */
export async function makeEngine(kind: "wasm" | "ts"): Promise<Engine> {
  if (kind === "ts") return tsEngine();
  const { memory, core } = await createCore();
  return wasmEngine(memory, core);
}
