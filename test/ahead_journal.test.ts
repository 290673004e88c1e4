import { expect, test } from "vitest";
import { endJournal, journalBuffer, joinJournal, JournalReader, journalRunning, JournalWriter } from "../host/run/ahead_journal.ts";
import { zeroCounts } from "../host/tlb/tlb_counts.ts";

/** A record of a 16-byte TLB state whose first byte is `n`. */
function chunk(n: number) {
  const words = new Uint32Array(16).fill(n);
  return {
    now: n, maxAccesses: Infinity, budgetNs: 10, stream: 0, realIndexBefore: n, realIndexAfter: n + 1,
    streamBefore: words, streamAfter: words, tlbAfter: new Uint8Array(16).fill(n),
    result: { accesses: n, ns: n * 1.5, walksVariance: 0, simulated: n, counts: { ...zeroCounts(), walks: -0 } },
  };
}

test("JournalReader.record() gives what the writer appended, and null past the end of an ended journal", () => {
  const buffer = journalBuffer(1 << 16);
  joinJournal(buffer);
  journalRunning(buffer);
  const writer = new JournalWriter(buffer, 16);
  for (let n = 0; n < 3; n++) expect(writer.append(chunk(n))).toBe(true);
  writer.end();
  const reader = new JournalReader(buffer);
  const r = reader.record(2)!;
  expect(r.now).toBe(2);
  expect(r.maxAccesses).toBe(Infinity);
  expect(r.result.ns).toBe(3);
  expect(Object.is(r.result.counts.walks, -0)).toBe(true);
  expect([...r.tlbAfter]).toEqual(new Array(16).fill(2));
  expect(reader.record(3)).toBeNull();
});

test("JournalReader.record() does not wait for a speculation no thread has taken on, nor for one that ended", () => {
  const waiting = journalBuffer(1 << 16);
  joinJournal(waiting);
  expect(new JournalReader(waiting).record(0)).toBeNull();
  const failed = journalBuffer(1 << 16);
  journalRunning(failed);
  endJournal(failed);
  expect(new JournalReader(failed).record(0)).toBeNull();
});

test("JournalWriter stops wanting records once every reader left, and ends a full journal", () => {
  const buffer = journalBuffer(2 * 1024);
  joinJournal(buffer);
  journalRunning(buffer);
  const writer = new JournalWriter(buffer, 16);
  expect(writer.wanted()).toBe(true);
  let appended = 0;
  while (writer.append(chunk(appended))) appended++;
  expect(appended).toBeGreaterThan(1);
  expect(writer.wanted()).toBe(false);
  const reader = new JournalReader(buffer);
  expect(reader.record(appended - 1)!.now).toBe(appended - 1);
  expect(reader.record(appended)).toBeNull();
  const other = journalBuffer(1 << 16);
  joinJournal(other);
  const w2 = new JournalWriter(other, 16);
  new JournalReader(other).leave();
  expect(w2.wanted()).toBe(false);
});
