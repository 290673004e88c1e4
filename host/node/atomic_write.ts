/**
 * Output files written whole or not at all: their paths are checked before any work is
 * done, each is written to a temporary name in its own folder, and only when every one is
 * written are they renamed into place. If a rename fails, the files already renamed are
 * removed again (a file they replaced is not brought back).
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

export interface OutputFile {
  /** The option that asked for the file, named in errors ("--trace"). */
  flag: string;
  path: string;
  data: string;
}

/** An output path that cannot be written, found before any work is done: bad input. */
export class OutputPathError extends Error {}

/** Why the directory `dir` cannot take a new file, or undefined. */
async function directoryProblem(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    const missing = info.code === "ENOENT" || info.code === "ENOTDIR";
    return missing ? `no such directory ${dir}` : `cannot reach ${dir} (${info.code})`;
  }
  if (!info.isDirectory()) return `${dir} is not a directory`;
  const writable = await access(dir, constants.W_OK).then(() => true, () => false);
  return writable ? undefined : `directory ${dir} is not writable`;
}

/** Why a file cannot be created or replaced at `path`, or undefined. */
async function pathProblem(path: string): Promise<string | undefined> {
  const problem = await directoryProblem(dirname(path));
  if (problem !== undefined) return problem;
  return (await stat(path).catch(() => null))?.isDirectory() ? "it is a directory" : undefined;
}

/** Throw OutputPathError naming the flag of the first path that cannot be written, or that two flags name. */
export async function checkOutputPaths(files: ReadonlyArray<Pick<OutputFile, "flag" | "path">>): Promise<void> {
  const owners = new Map<string, string>();
  for (const { flag, path } of files) {
    const owner = owners.get(resolve(path));
    const problem = owner !== undefined ? `${owner} writes it too` : await pathProblem(path);
    if (problem !== undefined) throw new OutputPathError(`${flag}: cannot write ${path}: ${problem}`);
    owners.set(resolve(path), flag);
  }
}

/** The system's reason without the syscall and the paths, which name the temporary: "no space left on device". */
function reasonOf(err: unknown): string {
  const message = (err as Error).message;
  return /^E[A-Z]+: (.*?), \w+ '/.exec(message)?.[1] ?? message;
}

/** A name beside `path` that no other writer picks. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Write `files`: every one in place, or, on any error, none of them and no temporary. The
 * error is one line naming the flag and the file.
 */
export async function writeFilesAtomically(files: readonly OutputFile[]): Promise<void> {
  const temps = files.map((f) => tempPath(f.path));
  let written = 0, renamed = 0;
  try {
    for (; written < files.length; written++) await writeFile(temps[written], files[written].data);
    for (; renamed < files.length; renamed++) await rename(temps[renamed], files[renamed].path);
  } catch (err) {
    const placed = files.slice(0, renamed).map((f) => f.path);
    await Promise.allSettled([...temps, ...placed].map((p) => rm(p, { force: true })));
    const failed = files[written < files.length ? written : renamed];
    throw new Error(`${failed.flag}: cannot write ${failed.path}: ${reasonOf(err)}`, { cause: err });
  }
}
