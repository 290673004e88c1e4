/**
 * The host's PTE predicates (host/core/pte.ts) give the answers of the core's
 * (assembly/pte.ts) on every word: each pair is compared on random low and high words.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import * as pte from "../host/core/pte.ts";
import { createCore } from "../host/node/load_core.ts";

const { core } = await createCore({ maxBytes: 1024 * 1024 });
const ptePredicate = core.exports.ptePredicate as (which: number, lo: number, hi: number) => number;

/** The host's predicates, in the order of ptePredicate()'s numbers in assembly/pte_probe.ts. */
const PTE_PREDICATES: ReadonlyArray<readonly [string, (lo: number, hi: number) => boolean | number]> = [
  ["ptePresent", pte.ptePresent], ["pteYoung", pte.pteYoung], ["pteDirty", pte.pteDirty], ["pteWrite", pte.pteWrite],
  ["pteUffdWp", pte.pteUffdWp], ["pteSwap", pte.pteSwap], ["pteZero", pte.pteZero], ["pteSpecial", pte.pteSpecial],
  ["pteNoneOrZero", pte.pteNoneOrZero], ["pteNormal", pte.pteNormal], ["pteReferenced", pte.pteReferenced],
  ["folioAnon", pte.folioAnon], ["folioSwapbacked", pte.folioSwapbacked], ["folioLru", pte.folioLru],
  ["folioLocked", pte.folioLocked], ["folioReferenced", pte.folioReferenced], ["folioSwapcache", pte.folioSwapcache],
  ["folioDirty", pte.folioDirty], ["folioLazyfree", pte.folioLazyfree], ["pteCleanLazyfree", pte.pteCleanLazyfree],
  ["folioOrder", pte.folioOrder], ["folioMapcount", pte.folioMapcount], ["folioPins", pte.folioPins],
  ["folioMaybeMappedShared", pte.folioMaybeMappedShared], ["folioPfn", pte.folioPfn],
];

/** Low words biased towards the few bits a predicate tests: random words, and sparse ones. */
const lowWord = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 4 }).map((bits) => bits.reduce((w, b) => (w | (1 << b)) >>> 0, 0)),
  fc.constant(0),
);
const highWord = fc.integer({ min: 0, max: 0xffffffff });

describe("PTE predicates", () => {
  test("ptePredicate() knows exactly the host's predicates", () => {
    expect(ptePredicate(PTE_PREDICATES.length, 0, 0) >>> 0).toBe(0xffffffff);
    for (let i = 0; i < PTE_PREDICATES.length; i++) expect(ptePredicate(i, 0, 0) >>> 0).not.toBe(0xffffffff);
  });

  test.each(PTE_PREDICATES.map(([name], i) => [name, i] as const))("%s() answers as assembly/pte.ts does", (_name, i) => {
    const host = PTE_PREDICATES[i][1];
    fc.assert(fc.property(lowWord, highWord, (lo, hi) => {
      expect(Number(host(lo, hi)) >>> 0).toBe(ptePredicate(i, lo, hi) >>> 0);
    }), { numRuns: 2000 });
  });
});
