/**
 * Flattens host/core/layout.ts and the `enum scan_result` table, and host/tlb/tlb_layout.ts,
 * into the named u32 constants the AssemblyScript core reads, and renders
 * `assembly/generated/layout.ts` and `assembly/generated/tlb_layout.ts`. The build writes
 * those files; test/layout.test.ts checks them against these lists.
 */
import * as layout from "../host/core/layout.ts";
import { SCAN_RESULTS } from "../host/core/scan_result.ts";
import * as tlbLayout from "../host/tlb/tlb_layout.ts";

/** Path of the generated module, relative to the repository root. */
export const GENERATED_LAYOUT_PATH = "assembly/generated/layout.ts";
/** Path of the generated TLB layout module, relative to the repository root. */
export const GENERATED_TLB_LAYOUT_PATH = "assembly/generated/tlb_layout.ts";

/**
 * Every layout constant as `[NAME, value]`. A group's members are prefixed with the
 * group (`PTE.YOUNG` -> `PTE_YOUNG`, `PTE_FIELD.ORDER.shift` -> `PTE_FIELD_ORDER_SHIFT`)
 * unless they already carry the kernel's own prefix (`VMA.VM_DROPPABLE` -> `VM_DROPPABLE`).
 */
export function layoutConstants(): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const add = (name: string, value: unknown): void => {
    if (typeof value === "number") {
      out.push([name, value]);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        add(key.startsWith("VM_") ? key : `${name}_${key.toUpperCase()}`, member);
      }
    } else {
      throw new TypeError(`Cannot generate layout constant "${name}": expected a number or a group, got ${typeof value}`);
    }
  };
  // A module namespace lists its exports sorted, a bundler's shim in declaration order:
  // sort, so that every loader generates the same file.
  for (const [name, value] of Object.entries(layout).sort(([a], [b]) => (a < b ? -1 : 1))) add(name, value);
  SCAN_RESULTS.forEach(([name], code) => out.push([name, code]));
  return checkU32(out);
}

/** Every constant of host/tlb/tlb_layout.ts as `[NAME, value]`, sorted by name. */
export function tlbLayoutConstants(): Array<[string, number]> {
  // The TLB layout names its constants in full already; a module namespace lists them
  // sorted, so sort here too and every loader generates the same file.
  const out = Object.entries(tlbLayout).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]): [string, number] => {
    if (typeof value !== "number") {
      throw new TypeError(`Cannot generate TLB layout constant "${name}": expected a number, got ${typeof value}`);
    }
    return [name, value];
  });
  return checkU32(out);
}

function checkU32(out: Array<[string, number]>): Array<[string, number]> {
  for (const [name, value] of out) {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
      throw new RangeError(`Cannot generate layout constant "${name}": value must be a u32, got ${value}`);
    }
  }
  return out;
}

function renderConstants(sources: string, constants: Array<[string, number]>): string {
  const lines = [`// generated, do not edit: written by scripts/build.ts from ${sources}.`, ""];
  for (const [name, value] of constants) lines.push(`@inline export const ${name}: u32 = 0x${value.toString(16)};`);
  return lines.join("\n") + "\n";
}

/** The text of assembly/generated/layout.ts. */
export function renderLayoutModule(): string {
  return renderConstants("host/core/layout.ts and host/core/scan_result.ts", layoutConstants());
}

/** The text of assembly/generated/tlb_layout.ts. */
export function renderTlbLayoutModule(): string {
  return renderConstants("host/tlb/tlb_layout.ts", tlbLayoutConstants());
}
