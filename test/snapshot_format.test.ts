/**
 * The snapshot file format: a round trip keeps every field and page, and a file of
 * another version, truncated or corrupted is refused with its reason.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION, SnapshotFormatError } from "../host/snapshot/format.ts";
import { parseSmaps } from "../host/snapshot/smaps_text.ts";
import type { Snapshot, SnapshotVma } from "../host/snapshot/snapshot.ts";
import { snapshotOf } from "./snapshot_fixture.ts";

const arbVma: fc.Arbitrary<SnapshotVma> = fc.record({
  pmds: fc.integer({ min: 1, max: 3 }),
  flags: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }),
  mapped: fc.boolean(),
  hg: fc.boolean(),
}).map(({ pmds, flags, mapped, hg }) => {
  const n = pmds * 512;
  return {
    start: 0x7f0000000000, end: 0x7f0000000000 + n * 4096, perms: "rw-p", offset: 0, dev: "00:00", inode: 0, path: "",
    vmFlags: hg ? ["rd", "wr", "hg"] : ["rd", "wr"], smaps: { Rss: n * 4, AnonHugePages: 0 },
    ...(mapped ? { pages: { flags: Uint16Array.from({ length: n }, (_, i) => flags[i % flags.length]),
      order: Uint8Array.from({ length: n }, (_, i) => flags[i % flags.length] % 10) } } : {}),
  };
});

const arbSnapshot: fc.Arbitrary<Snapshot> = fc.array(fc.array(arbVma, { maxLength: 3 }), { minLength: 1, maxLength: 3 })
  .map((procs) => snapshotOf(procs.map((vmas, i) => ({ pid: 100 + i, comm: `p${i}`, thpDisabled: i === 2, vmas }))));

/** A valid file with one byte of its page data changed. */
async function encoded(): Promise<Uint8Array<ArrayBuffer>> {
  return encodeSnapshot(snapshotOf([{ pid: 1, comm: "one", thpDisabled: false, vmas: [fc.sample(arbVma, { seed: 3, numRuns: 1 })[0]] }]));
}

async function refusal(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const err = await decodeSnapshot(bytes).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SnapshotFormatError);
  return (err as SnapshotFormatError).reason;
}

describe("snapshot format", () => {
  test("decodeSnapshot(encodeSnapshot(s)) gives back every process, VMA and page", async () => {
    await fc.assert(fc.asyncProperty(arbSnapshot, async (s) => {
      expect(await decodeSnapshot(await encodeSnapshot(s))).toEqual(s);
    }), { numRuns: 30 });
  });

  test("decodeSnapshot() refuses a file of another format version, naming both versions", async () => {
    const bytes = await encoded();
    new DataView(bytes.buffer).setUint32(8, SNAPSHOT_VERSION + 1, true);
    expect(await refusal(bytes)).toBe(`is version ${SNAPSHOT_VERSION + 1} of the snapshot format; this khugesim reads version ${SNAPSHOT_VERSION}`);
  });

  test("decodeSnapshot() refuses a truncated or corrupted file by its checksum", async () => {
    const bytes = await encoded();
    expect(await refusal(bytes.slice(0, bytes.length - 5))).toMatch(/checksum/);
    const flipped = bytes.slice();
    flipped[flipped.length - 20] ^= 1;
    expect(await refusal(flipped)).toMatch(/checksum/);
    expect(await refusal(bytes.slice(0, 20))).toMatch(/truncated/);
  });

  test("decodeSnapshot() refuses a checksummed file whose VMA holds other than one page per 4 KiB", async () => {
    const vma = { ...fc.sample(arbVma, { seed: 5, numRuns: 1 })[0], pages: { flags: new Uint16Array(3), order: new Uint8Array(3) } };
    const bytes = await encodeSnapshot(snapshotOf([{ pid: 1, comm: "odd", thpDisabled: false, vmas: [vma] }]));
    expect(await refusal(bytes)).toBe("its header does not describe processes and VMAs (corrupt)");
  });

  test("decodeSnapshot() refuses a file that is not a snapshot", async () => {
    expect(await refusal(new TextEncoder().encode("name: x\ntasks: []\n") as Uint8Array<ArrayBuffer>)).toMatch(/not a khugesim snapshot/);
  });

  test("a 10 GiB process of mixed pages encodes in under 3 bytes per page", async () => {
    const n = (10 * 1024 ** 3) / 4096;
    const flags = new Uint16Array(n), order = new Uint8Array(n);
    // Runs of alike pages as real processes have them: THPs, small pages, holes.
    for (let i = 0; i < n; i++) { flags[i] = (i >> 9) % 3 === 0 ? 0x41 : (i >> 9) % 3 === 1 ? 0x7065 : 0; order[i] = (i >> 9) % 3 === 1 ? 9 : 0; }
    const vma = { ...fc.sample(arbVma, { seed: 1, numRuns: 1 })[0], end: 0x7f0000000000 + n * 4096, pages: { flags, order } };
    const bytes = await encodeSnapshot(snapshotOf([{ pid: 1, comm: "big", thpDisabled: false, vmas: [vma] }]));
    expect(bytes.length).toBeLessThan(3 * n);
  });
});

describe("parseSmaps()", () => {
  test("reads a VMA's range, permissions, path, kB fields, THPeligible and VmFlags", () => {
    const [v] = parseSmaps("7f0000000000-7f0000400000 rw-p 00000000 00:00 0                          [heap]\n" +
      "Size:               4096 kB\nAnonHugePages:      2048 kB\nLazyFree:              8 kB\nTHPeligible:    1\nVmFlags: rd wr mr hg\n");
    expect(v).toMatchObject({ start: 0x7f0000000000, end: 0x7f0000400000, perms: "rw-p", path: "[heap]", inode: 0,
      vmFlags: ["rd", "wr", "mr", "hg"], smaps: { Size: 4096, AnonHugePages: 2048, LazyFree: 8, THPeligible: 1 } });
  });

  test("refuses a line that is neither a VMA nor a field, quoting it", () => {
    expect(() => parseSmaps("7f0000000000-7f0000400000 rw-p 00000000 00:00 0\nnonsense here\n")).toThrow(/"nonsense here"/);
  });
});
