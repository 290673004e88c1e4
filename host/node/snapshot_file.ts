/**
 * Snapshot files in Node: read one back with every refusal as one line naming the file
 * (`Cannot load snapshot "n.khs": fails its SHA-256 checksum …`), and tell a snapshot from
 * a scenario file by its magic.
 */
import { open, readFile } from "node:fs/promises";
import { decodeSnapshot, looksLikeSnapshot, SnapshotFormatError } from "../snapshot/format.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";

/** A snapshot file that cannot be read: `Cannot load snapshot "n.khs": …`, one line, exit 2. */
export class SnapshotFileError extends Error {
  constructor(readonly path: string, readonly reason: string, options?: ErrorOptions) {
    super(`Cannot load snapshot "${path}": ${reason}`, options);
    this.name = "SnapshotFileError";
  }
}

/** Whether the file at `path` starts with a snapshot's magic (false when it cannot be read). */
export async function isSnapshotFile(path: string): Promise<boolean> {
  const fh = await open(path, "r").catch(() => null);
  if (fh === null) return false;
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    return looksLikeSnapshot(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Read and decode the snapshot at `path`, or throw a SnapshotFileError naming it. */
export async function readSnapshotFile(path: string): Promise<Snapshot> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SnapshotFileError(path, code === "ENOENT" ? "no such file" : `cannot be read (${code})`, { cause: err });
  }
  try {
    return await decodeSnapshot(bytes);
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw new SnapshotFileError(path, err.reason, { cause: err });
    throw err;
  }
}
