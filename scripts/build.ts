/**
 * Builds the WASM core: generates assembly/generated/layout.ts and tlb_layout.ts from the host's layouts,
 * then compiles assembly/index.ts with the targets of asconfig.json (release:
 * build/khugesim.wasm, debug: build/khugesim.debug.wasm) in this one process.
 *
 * A target is compiled only when its inputs changed: beside its output lies a stamp,
 * `<outFile>.inputs`, holding the hash of everything the compiler reads (every file
 * under assembly/, the generated layout included, asconfig.json, the compiler's
 * version and the target's name). A second `npm start` then costs no compile.
 *
 * Usage: tsx scripts/build.ts [release|debug ...]   (default: both)
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  GENERATED_LAYOUT_PATH, GENERATED_TLB_LAYOUT_PATH, renderLayoutModule, renderTlbLayoutModule,
} from "./layout_constants.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TARGETS = ["release", "debug"] as const;

/** Write a generated module, leaving its mtime alone when nothing changed. */
async function generate(relPath: string, text: string): Promise<void> {
  const path = join(ROOT, relPath);
  const old = await readFile(path, "utf8").catch(() => null);
  if (old === text) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Every file under `dir`, as paths relative to the repository, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const paths = (await readdir(join(ROOT, dir), { recursive: true })).map((p) => join(dir, p));
  const isFile = await Promise.all(paths.map(async (p) => (await stat(join(ROOT, p))).isFile()));
  return paths.filter((_, i) => isFile[i]).sort();
}

/** The hash of what compiling `target` reads: the core's sources, asconfig.json and the compiler. */
async function inputsHash(target: string): Promise<string> {
  const hash = createHash("sha256");
  const compiler = JSON.parse(await readFile(join(ROOT, "node_modules/assemblyscript/package.json"), "utf8")) as { version: string };
  hash.update(`target ${target}\nassemblyscript ${compiler.version}\n`);
  for (const path of ["asconfig.json", ...(await filesUnder("assembly"))]) {
    const data = await readFile(join(ROOT, path));
    hash.update(`${path} ${data.length}\n`).update(data);
  }
  return hash.digest("hex");
}

/** The output file asconfig.json gives `target`. */
async function outFile(target: string): Promise<string> {
  const config = JSON.parse(await readFile(join(ROOT, "asconfig.json"), "utf8")) as { targets: Record<string, { outFile: string }> };
  return join(ROOT, config.targets[target].outFile);
}

/** Compile one asconfig.json target; throws with the compiler's diagnostics on failure. */
async function compile(target: string): Promise<void> {
  // Loading the compiler takes a second: only a target that needs building pays it.
  const { default: asc } = await import("assemblyscript/asc");
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

/** Compile `target` unless its output exists and its stamp holds the hash of today's inputs. */
async function build(target: string): Promise<void> {
  const stamp = `${await outFile(target)}.inputs`;
  const hash = await inputsHash(target);
  const [built, stamped] = await Promise.all([
    readFile(await outFile(target)).then(() => true, () => false),
    readFile(stamp, "utf8").catch(() => ""),
  ]);
  if (built && stamped.trim() === hash) return;
  await compile(target);
  await writeFile(stamp, `${hash}\n`);
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  for (const t of asked) {
    if (!(TARGETS as readonly string[]).includes(t)) {
      throw new RangeError(`Cannot build target "${t}": expected one of ${TARGETS.join(", ")}`);
    }
  }
  await generate(GENERATED_LAYOUT_PATH, renderLayoutModule());
  await generate(GENERATED_TLB_LAYOUT_PATH, renderTlbLayoutModule());
  await mkdir(join(ROOT, "build"), { recursive: true });
  for (const target of asked.length > 0 ? asked : TARGETS) await build(target);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
