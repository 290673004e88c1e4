/** Captured processes: the snapshot, its file format, its import as mms, and mms read back. */
export { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION, SnapshotFormatError } from "./format.ts";
export { type ImportedMm, importSnapshot, ImportRefusal } from "./import.ts";
export { PAGE, type Snapshot, type SnapshotProcess, type SnapshotVma } from "./snapshot.ts";
