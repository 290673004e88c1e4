/**
 * The snapshot file format (`.khs`), version 1. All integers little-endian.
 *
 *   0  8 bytes  magic "KHUGESNP"
 *   8  u32      format version (SNAPSHOT_VERSION)
 *  12  32 bytes SHA-256 of every byte from offset 44 to the end
 *  44  u32      length H of the header
 *  48  H bytes  header: the Snapshot as UTF-8 JSON, each VMA's `pages` replaced by its page count
 *  48+H         body: gzip of, for each VMA with pages in header order, its flag words (u16
 *               per page, PAGE bits) and then its folio orders (u8 per page)
 *
 * Three bytes per mapped page before compression: a 10 GiB process is 7.5 MiB, less on
 * disk (runs of alike pages compress well). Web-standard APIs only (CompressionStream,
 * crypto.subtle), so the page can read a snapshot too.
 */
import type { Snapshot, SnapshotVma } from "./snapshot.ts";

export const SNAPSHOT_MAGIC = "KHUGESNP";
export const SNAPSHOT_VERSION = 1;
const HEADER_AT = 48;
const CHECKED_FROM = 44;

/** A file that is not a readable snapshot: the reason, without the file's name (the caller adds it). */
export class SnapshotFormatError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "SnapshotFormatError";
  }
}

type HeaderVma = Omit<SnapshotVma, "pages"> & { pages: number };

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function gzip(parts: Array<Uint8Array<ArrayBuffer>>): Promise<Uint8Array> {
  const stream = new Blob(parts).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Inflate `body` into exactly `size` bytes; more or fewer is a corrupt file. */
async function gunzip(body: Uint8Array<ArrayBuffer>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  const reader = new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let at = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > size) throw new SnapshotFormatError("its page data is longer than its header says (corrupt)");
      out.set(value, at);
      at += value.length;
    }
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw err;
    throw new SnapshotFormatError(`its page data cannot be inflated (${(err as Error).message})`);
  } finally {
    reader.releaseLock();
  }
  if (at !== size) throw new SnapshotFormatError(`its page data holds ${at} bytes, its header says ${size} (corrupt)`);
  return out;
}

/** The snapshot as the bytes of a `.khs` file. */
export async function encodeSnapshot(s: Snapshot): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Array<Uint8Array<ArrayBuffer>> = [];
  const processes = s.processes.map((p) => ({
    ...p,
    vmas: p.vmas.map((v): HeaderVma => {
      const { pages, ...rest } = v;
      if (pages) {
        const flags = new Uint8Array(pages.flags.length * 2);
        for (let i = 0; i < pages.flags.length; i++) { flags[2 * i] = pages.flags[i] & 0xff; flags[2 * i + 1] = pages.flags[i] >>> 8; }
        parts.push(flags, new Uint8Array(pages.order));
      }
      return { ...rest, pages: pages?.flags.length ?? 0 };
    }),
  }));
  const header = new TextEncoder().encode(JSON.stringify({ ...s, processes }));
  const body = await gzip(parts);
  const out = new Uint8Array(HEADER_AT + header.length + body.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(44, header.length, true);
  out.set(header, HEADER_AT);
  out.set(body, HEADER_AT + header.length);
  out.set(await sha256(out.subarray(CHECKED_FROM)), 12);
  return out;
}

/** Whether `bytes` start like a snapshot file (the magic), whatever its version. */
export function looksLikeSnapshot(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new TextDecoder().decode(bytes.subarray(0, 8)) === SNAPSHOT_MAGIC;
}

function checkHeader(h: unknown): asserts h is Omit<Snapshot, "processes"> & { processes: Array<{ vmas: HeaderVma[] }> } {
  const s = h as (Omit<Snapshot, "processes"> & { processes: Array<{ pid: number; vmas: HeaderVma[] }> }) | null;
  const ok = s !== null && typeof s === "object" && typeof s.sources === "object" && s.sources !== null &&
    Array.isArray(s.missing) && Array.isArray(s.processes) &&
    s.processes.every((p) => p !== null && typeof p === "object" && Number.isInteger(p.pid) && Array.isArray(p.vmas) &&
      p.vmas.every((v) => v !== null && typeof v === "object" && Number.isInteger(v.start) && Number.isInteger(v.end) &&
        typeof v.perms === "string" && Array.isArray(v.vmFlags) && typeof v.smaps === "object" &&
        v.end > v.start && (v.pages === 0 || v.pages === (v.end - v.start) / 4096)));
  if (!ok) throw new SnapshotFormatError("its header does not describe processes and VMAs (corrupt)");
}

/**
 * Read a `.khs` file's bytes back into a Snapshot; a file that is not one, of another
 * version, truncated or corrupted throws a SnapshotFormatError saying which.
 */
export async function decodeSnapshot(bytes: Uint8Array<ArrayBuffer>): Promise<Snapshot> {
  if (!looksLikeSnapshot(bytes)) throw new SnapshotFormatError("is not a khugesim snapshot (no KHUGESNP magic)");
  if (bytes.length < HEADER_AT) throw new SnapshotFormatError(`is truncated: ${bytes.length} bytes, shorter than the ${HEADER_AT}-byte preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotFormatError(`is version ${version} of the snapshot format; this khugesim reads version ${SNAPSHOT_VERSION}`);
  }
  const sum = await sha256(bytes.subarray(CHECKED_FROM));
  if (!sum.every((b, i) => b === bytes[12 + i])) {
    throw new SnapshotFormatError("fails its SHA-256 checksum: the file is truncated or corrupted");
  }
  const hlen = view.getUint32(44, true);
  if (HEADER_AT + hlen > bytes.length) throw new SnapshotFormatError("its header runs past the end of the file (corrupt)");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_AT, HEADER_AT + hlen)));
  } catch {
    throw new SnapshotFormatError("its header is not JSON (corrupt)");
  }
  checkHeader(header);
  const pageCount = header.processes.reduce((n, p) => n + p.vmas.reduce((m, v) => m + v.pages, 0), 0);
  const body = await gunzip(bytes.subarray(HEADER_AT + hlen), pageCount * 3);
  let at = 0;
  const processes = header.processes.map((p) => ({
    ...p,
    vmas: p.vmas.map((v): SnapshotVma => {
      const { pages: n, ...rest } = v;
      if (n === 0) return rest;
      const flags = new Uint16Array(n);
      for (let i = 0; i < n; i++) flags[i] = body[at + 2 * i] | (body[at + 2 * i + 1] << 8);
      const order = body.slice(at + 2 * n, at + 3 * n);
      at += 3 * n;
      return { ...rest, pages: { flags, order } };
    }),
  }));
  return { ...(header as unknown as Snapshot), processes: processes as unknown as Snapshot["processes"] };
}
