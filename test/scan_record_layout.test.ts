/**
 * The scan record's layout (layout.ts RECORD) is what every core writes: each field at
 * its offset and width, and nothing else, so the two padding bytes after the u16 SHARED
 * field keep whatever the ring held.
 */
import { describe, expect, test } from "vitest";
import { RECORD } from "../host/core/layout.ts";
import type { ScanCore } from "../host/core/scan_core.ts";
import { anon, DEFAULTS, scanCores, tableEntry, writeDirectory, writeTable } from "./scan_fixture.ts";

const { memory, cores } = await scanCores(4 * 1024 * 1024);
/** The bytes between SHARED (a u16) and PFN. */
const PADDING = [RECORD.SHARED + 2, RECORD.SHARED + 3];

/** A record slot filled with 0xff, as a reused ring slot may be. */
function dirtySlot(): number {
  const at = memory.alloc(RECORD.BYTES, RECORD.BYTES);
  new Uint8Array(memory.memory.buffer, at, RECORD.BYTES).fill(0xff);
  return at;
}

describe.each(cores.map((core): [string, ScanCore] => [core.name, core]))("%s core", (_name, core) => {
  const table = writeTable(memory, Array.from({ length: 512 }, (_, i) => anon(0x1000 + i, { mapcount: i < 3 ? 2 : 1 })));
  const p = DEFAULTS;

  test("scanPmds() writes SHARED as a u16 and leaves the padding after it alone", () => {
    const dir = writeDirectory(memory, [tableEntry(table)]);
    const rec = dirtySlot();
    core.scanPmds(dir, 0, 1, 1, p.maxPtesNone, p.maxPtesSwap, p.maxPtesShared, p.vmaFlags, p.scanFlags, rec);
    const bytes = new Uint8Array(memory.memory.buffer, rec, RECORD.BYTES);
    expect(new DataView(memory.memory.buffer, rec).getUint16(RECORD.SHARED, true)).toBe(3);
    expect(PADDING.map((i) => bytes[i])).toEqual([0xff, 0xff]);
  });

  test("isolatePmd() writes SHARED as a u16 and leaves the padding after it alone", () => {
    const rec = dirtySlot();
    core.isolatePmd(table, 1, p.maxPtesNone, p.maxPtesShared, p.vmaFlags, p.scanFlags, rec);
    const bytes = new Uint8Array(memory.memory.buffer, rec, RECORD.BYTES);
    expect(new DataView(memory.memory.buffer, rec).getUint16(RECORD.SHARED, true)).toBe(3);
    expect(PADDING.map((i) => bytes[i])).toEqual([0xff, 0xff]);
  });
});
