/**
 * Output files written whole or not at all: each goes to a temporary name in its own
 * folder first, and only when every one is written are they renamed into place.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface OutputFile {
  path: string;
  data: string;
}

/** Write `files`; on any error none of them is left half-written and the temporaries are removed. */
export async function writeFilesAtomically(files: readonly OutputFile[]): Promise<void> {
  const temps = files.map((f) => join(dirname(f.path), `.${basename(f.path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`));
  try {
    for (const [i, f] of files.entries()) await writeFile(temps[i], f.data);
    for (const [i, f] of files.entries()) await rename(temps[i], f.path);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
}
