/**
 * Builds the WASM core: generates assembly/generated/layout.ts from the host's layout,
 * then compiles assembly/index.ts with the targets of asconfig.json (release:
 * build/khugesim.wasm, debug: build/khugesim.debug.wasm) in this one process.
 *
 * Usage: tsx scripts/build.ts [release|debug ...]   (default: both)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { GENERATED_LAYOUT_PATH, renderLayoutModule } from "./layout_constants.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TARGETS = ["release", "debug"] as const;

/** Write the generated layout module, leaving its mtime alone when nothing changed. */
async function generateLayout(): Promise<void> {
  const path = join(ROOT, GENERATED_LAYOUT_PATH);
  const text = renderLayoutModule();
  const old = await readFile(path, "utf8").catch(() => null);
  if (old === text) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Compile one asconfig.json target; throws with the compiler's diagnostics on failure. */
async function compile(target: string): Promise<void> {
  let diagnostics = "";
  const stderr = asc.createMemoryStream((chunk) => { diagnostics += String(chunk); });
  const stdout = asc.createMemoryStream();
  const { error } = await asc.main(
    ["--config", "asconfig.json", "--target", target, "--baseDir", ROOT, "--noColors"],
    { stdout, stderr },
  );
  if (error) {
    process.stderr.write(diagnostics);
    throw new Error(`Cannot build the WASM core: target "${target}" of asconfig.json failed: ${error.message}`);
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  for (const t of asked) {
    if (!(TARGETS as readonly string[]).includes(t)) {
      throw new RangeError(`Cannot build target "${t}": expected one of ${TARGETS.join(", ")}`);
    }
  }
  await generateLayout();
  await mkdir(join(ROOT, "build"), { recursive: true });
  for (const target of asked.length > 0 ? asked : TARGETS) await compile(target);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
