/**
 * Output files written whole or not at all: their paths are checked before any work is
 * done, each is written to a temporary name in its own folder, and only when every one is
 * written are they renamed into place. A file about to be replaced is first kept under a
 * second name, so that if a rename fails, every file already renamed is taken back out
 * and the file it replaced is put back (unless it could be neither linked nor read). A
 * replaced file's permission bits carry over to the new one. Ctrl-C is held off while a
 * probe or temporary file exists, then ends the process as it would have.
 */
import { randomBytes } from "node:crypto";
import { chmod, copyFile, link, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

export interface OutputFile {
  /** The option that asked for the file, named in errors ("--trace"). */
  flag: string;
  path: string;
  data: string | Uint8Array;
}

/** An output path that cannot be written, found before any work is done: bad input. */
export class OutputPathError extends Error {}

/**
 * Run `fn` with SIGINT held off, then deliver one that came, whose default action ends the
 * process as Ctrl-C would have: never between creating a file and removing or renaming it.
 * The hold lasts two more turns of the event loop, so that a poll phase, which hands a
 * signal that has arrived to its listener, comes between `fn`'s end and the listener's
 * removal: Node drops a signal it finds no listener for.
 */
async function holdingInterrupt<T>(fn: () => Promise<T>): Promise<T> {
  let interrupted = false;
  const hold = (): void => {
    interrupted = true;
  };
  process.on("SIGINT", hold);
  try {
    return await fn();
  } finally {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    process.off("SIGINT", hold);
    if (interrupted) process.kill(process.pid, "SIGINT");
  }
}

/** Why the directory `dir` cannot take a new file, or undefined. */
async function directoryProblem(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    const missing = info.code === "ENOENT" || info.code === "ENOTDIR";
    return missing ? `no such directory ${dir}` : `cannot reach ${dir} (${info.code})`;
  }
  if (!info.isDirectory()) return `${dir} is not a directory`;
  // Only creating a file tells: root passes access(W_OK) in /proc, which takes no new file.
  const probe = sidePath(join(dir, "probe"), "tmp");
  const made = await writeFile(probe, "", { flag: "wx" }).then(() => undefined, (err: NodeJS.ErrnoException) => err);
  if (made === undefined) {
    await rm(probe, { force: true });
    return undefined;
  }
  return made.code === "EACCES" || made.code === "EPERM" || made.code === "EROFS"
    ? `directory ${dir} is not writable`
    : `directory ${dir} takes no new file (${made.code})`;
}

/** Whether `path` names a directory: it ends in a slash or is one. */
export async function namesDirectory(path: string): Promise<boolean> {
  return path.endsWith("/") || ((await stat(path).catch(() => null))?.isDirectory() ?? false);
}

/** Why a file cannot be created or replaced at `path`, or undefined. */
async function pathProblem(path: string): Promise<string | undefined> {
  if (path.endsWith("/")) return "it is a directory";
  const problem = await directoryProblem(dirname(path));
  if (problem !== undefined) return problem;
  return (await namesDirectory(path)) ? "it is a directory" : undefined;
}

/** Throw OutputPathError naming the flag of the first path that cannot be written, or that two flags name. */
export function checkOutputPaths(files: ReadonlyArray<Pick<OutputFile, "flag" | "path">>): Promise<void> {
  return holdingInterrupt(() => checkPaths(files));
}

async function checkPaths(files: ReadonlyArray<Pick<OutputFile, "flag" | "path">>): Promise<void> {
  const owners = new Map<string, string>();
  for (const { flag, path } of files) {
    if (path === "") throw new OutputPathError(`${flag}: the file name is empty`);
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

/** A name beside `path` that no other writer picks, ending in `suffix`. */
function sidePath(path: string, suffix: "tmp" | "old"): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.${suffix}`);
}

/** Give the new file at `temp` the permission bits of the file it replaces at `path`, if there is one. */
async function keepMode(temp: string, path: string): Promise<void> {
  const old = await stat(path).catch(() => null);
  if (old !== null) await chmod(temp, old.mode & 0o7777);
}

/**
 * Keep the file at `path`, if there is one, under a second name, and return that name.
 * A hard link leaves `path` in place, so the rename that replaces it stays atomic; a
 * file system without hard links gets a copy. A file that can be neither linked nor
 * read is replaced without a second name, as a plain rename would replace it: the
 * directory's write permission is all a replacement needs.
 */
async function keep(path: string): Promise<string | undefined> {
  if ((await stat(path).catch(() => null)) === null) return undefined;
  const kept = sidePath(path, "old");
  const made = await link(path, kept).catch(() => copyFile(path, kept)).then(() => true, () => false);
  return made ? kept : undefined;
}

/**
 * Write `files`: every one in place, or, on any error, none of them, every file they would
 * have replaced as it was (if it could be kept), and no temporary. The error is one line
 * naming the flag and the file.
 */
export function writeFilesAtomically(files: readonly OutputFile[]): Promise<void> {
  return holdingInterrupt(() => writeFiles(files));
}

async function writeFiles(files: readonly OutputFile[]): Promise<void> {
  const temps = files.map((f) => sidePath(f.path, "tmp"));
  const kept: Array<string | undefined> = [];
  let written = 0, renamed = 0;
  try {
    for (; written < files.length; written++) await writeFile(temps[written], files[written].data);
    for (; renamed < files.length; renamed++) {
      await keepMode(temps[renamed], files[renamed].path);
      kept.push(await keep(files[renamed].path));
      await rename(temps[renamed], files[renamed].path);
    }
  } catch (err) {
    await Promise.allSettled(temps.map((t) => rm(t, { force: true })));
    // Undo the renames: put back what each replaced, or remove the new file.
    await Promise.allSettled(files.slice(0, renamed).map((f, i) => {
      const old = kept[i];
      return old === undefined ? rm(f.path, { force: true }) : rename(old, f.path);
    }));
    await Promise.allSettled(kept.slice(renamed).map((k) => k !== undefined && rm(k, { force: true })));
    const failed = files[written < files.length ? written : renamed];
    throw new Error(`${failed.flag}: cannot write ${failed.path}: ${reasonOf(err)}`, { cause: err });
  }
  await Promise.allSettled(kept.map((k) => k !== undefined && rm(k, { force: true })));
}
