/** The text of /proc/PID/smaps as SnapshotVma records (pages not yet read). */
import type { SnapshotVma } from "./snapshot.ts";

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/;
const FIELD = /^(\w+):\s+(\d+)(?: kB)?$/;

/**
 * Parse smaps text: one record per VMA header line, its `Key: N kB` fields (kB kept as
 * kB), THPeligible as 0 or 1, and VmFlags. A line of neither shape throws a TypeError
 * quoting it: the kernel changed the format, or this is not smaps.
 */
export function parseSmaps(text: string): SnapshotVma[] {
  const vmas: SnapshotVma[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const h = HEADER.exec(line);
    if (h) {
      vmas.push({
        start: parseInt(h[1], 16), end: parseInt(h[2], 16), perms: h[3], offset: parseInt(h[4], 16), dev: h[5],
        inode: Number(h[6]), path: h[7].trim(), vmFlags: [], smaps: {},
      });
      continue;
    }
    const v = vmas.at(-1);
    if (v === undefined) throw new TypeError(`smaps text does not start with a VMA line: "${line}"`);
    if (line.startsWith("VmFlags:")) {
      v.vmFlags = line.slice("VmFlags:".length).trim().split(/\s+/).filter((f) => f !== "");
      continue;
    }
    const f = FIELD.exec(line);
    if (!f) throw new TypeError(`smaps line is neither a VMA nor a field: "${line}"`);
    v.smaps[f[1]] = Number(f[2]);
  }
  return vmas;
}
