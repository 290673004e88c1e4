/**
 * Host and core agree on the memory layout: PTE words the host encodes decode to the
 * same fields in the WASM core, and the generated AssemblyScript constants are the
 * ones of host/core/layout.ts.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { PTE, PTE_FIELD, VMA } from "../host/core/layout.ts";
import { decodePte, encodePte, type PteFields } from "../host/core/pte.ts";
import { createCore } from "../host/node/load_core.ts";
import * as tlbLayout from "../host/tlb/tlb_layout.ts";
import {
  GENERATED_LAYOUT_PATH, GENERATED_TLB_LAYOUT_PATH, layoutConstants, tlbLayoutConstants,
} from "../scripts/layout_constants.ts";

const { memory, core } = await createCore({ maxBytes: 1024 * 1024 });
const decodePteField = core.exports.decodePteField as (ptr: number, mask: number) => number;
const ptr = memory.alloc(8);

type FieldName = keyof PteFields;
/** `PTE.FOLIO_SWAPBACKED` -> "swapbacked", `PTE.UFFD_WP` -> "uffdWp". */
const fieldName = (key: string): FieldName => key === "FOLIO_DIRTY" ? "folioDirty" :
  key.replace(/^FOLIO_/, "").toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) as FieldName;

/** Every field with the low-word mask that selects it in the core's probe (0: the pfn). */
const FIELDS: Array<[FieldName, number]> = [
  ...Object.entries(PTE).map(([key, bit]): [FieldName, number] => [fieldName(key), bit]),
  ...Object.entries(PTE_FIELD).map(([key, f]): [FieldName, number] =>
    [fieldName(key), (((1 << f.bits) - 1) << f.shift) >>> 0]),
  ["pfn", 0],
];

/** The core's reading of every field of the PTE the host encodes from `fields`. */
function coreDecode(fields: PteFields): Record<string, number> {
  const { lo, hi } = encodePte(fields);
  memory.u32[ptr >>> 2] = lo;
  memory.u32[(ptr >>> 2) + 1] = hi;
  return Object.fromEntries(FIELDS.map(([name, mask]) => [name, decodePteField(ptr, mask) >>> 0]));
}

/** The host's reading of the same PTE, with flags as 0/1. */
function hostDecode(fields: PteFields): Record<string, number> {
  const { lo, hi } = encodePte(fields);
  return Object.fromEntries(Object.entries(decodePte(lo, hi)).map(([k, v]) => [k, Number(v)]));
}

describe("PTE layout", () => {
  test("decodePteField() probes every field of pte.ts's PteFields", () => {
    expect(FIELDS.map(([name]) => name).sort()).toEqual(Object.keys(decodePte(0, 0)).sort());
  });

  test("decodePteField() decodes a PTE with every field set as the host encoded it", () => {
    const all: PteFields = {
      present: true, young: true, dirty: true, write: true, uffdWp: true, zero: true, special: true, anon: true,
      swapbacked: true, lru: true, locked: true, referenced: true, swapcache: true, folioDirty: true, order: 9, mapcount: 63,
      pins: 63, pfn: 0xfffffffe,
    };
    expect(coreDecode(all)).toEqual(hostDecode(all));
    const swap: PteFields = { swap: true, uffdWp: true, pfn: 0x12345678 };
    expect(coreDecode(swap)).toEqual(hostDecode(swap));
  });

  test.each(Object.keys(PTE).map(fieldName))("decodePteField() decodes the %s flag set alone", (name) => {
    const fields: PteFields = { [name]: true, pfn: 0 };
    // The zero page and special mappings exist only as present PTEs.
    if (name === "zero" || name === "special") fields.present = true;
    const got = coreDecode(fields);
    expect(got).toEqual(hostDecode(fields));
    expect(got[name]).toBe(1);
  });

  // encodePte() caps the order at 9, a PMD-sized folio; the counts saturate at their width.
  test.each(
    Object.entries(PTE_FIELD).flatMap(([key, f]) =>
      [1, 2, key === "ORDER" ? 9 : (1 << f.bits) - 1].map((v): [FieldName, number] => [fieldName(key), v])),
  )("decodePteField() decodes the %s field set alone to %i", (name, value) => {
    const fields: PteFields = { present: true, [name]: value };
    const got = coreDecode(fields);
    expect(got).toEqual(hostDecode(fields));
    expect(got[name]).toBe(value);
  });

  test.each([1, 0x1ff, 0x80000000, 0xfffffffe])("decodePteField() decodes pfn %i in the high word", (pfn) => {
    expect(coreDecode({ present: true, pfn })).toMatchObject({ pfn, present: 1 });
  });
});

/** The `[NAME, value]` constants a generated AssemblyScript module declares, all its lines checked. */
async function declaredConstants(path: string): Promise<Array<[string, number]>> {
  const text = await readFile(new URL(`../${path}`, import.meta.url), "utf8").catch(() => {
    throw new Error(`Cannot read ${path}: run npm run build`);
  });
  const declared = [...text.matchAll(/^@inline export const (\w+): u32 = (0x[0-9a-f]+);$/gm)]
    .map(([, name, value]): [string, number] => [name, Number(value)]);
  expect(declared.length).toBe(text.split("\n").filter((l) => l.startsWith("@inline")).length);
  return declared;
}

describe("generated layout", () => {
  test(`${GENERATED_LAYOUT_PATH} declares exactly the constants of layout.ts and scan_result.ts`, async () => {
    expect(await declaredConstants(GENERATED_LAYOUT_PATH)).toEqual(layoutConstants());
  });

  test(`${GENERATED_TLB_LAYOUT_PATH} declares exactly the constants of host/tlb/tlb_layout.ts`, async () => {
    const declared = await declaredConstants(GENERATED_TLB_LAYOUT_PATH);
    expect(declared).toEqual(tlbLayoutConstants());
    expect(new Map(declared)).toEqual(new Map(Object.entries(tlbLayout)));
  });

  test("layoutConstants() names the kernel's enum scan_result and VMA flags as the kernel does", () => {
    const names = new Map(layoutConstants());
    expect(names.get("SCAN_SUCCEED")).toBe(1);
    expect(names.get("SCAN_PAGE_LAZYFREE")).toBe(17);
    expect(names.get("VM_DROPPABLE")).toBe(VMA.VM_DROPPABLE);
    expect(names.get("PTE_FIELD_ORDER_SHIFT")).toBe(PTE_FIELD.ORDER.shift);
  });
});
