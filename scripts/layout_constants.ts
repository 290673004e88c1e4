/**
 * Flattens host/core/layout.ts and the `enum scan_result` table into the named u32
 * constants the AssemblyScript core reads, and renders `assembly/generated/layout.ts`.
 * The build writes that file; test/layout.test.ts checks it against this list.
 */
import * as layout from "../host/core/layout.ts";
import { SCAN_RESULTS } from "../host/core/scan_result.ts";

/** Path of the generated module, relative to the repository root. */
export const GENERATED_LAYOUT_PATH = "assembly/generated/layout.ts";

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
  for (const [name, value] of out) {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
      throw new RangeError(`Cannot generate layout constant "${name}": value must be a u32, got ${value}`);
    }
  }
  return out;
}

/** The text of assembly/generated/layout.ts. */
export function renderLayoutModule(): string {
  const lines = [
    "// generated, do not edit: written by scripts/build.ts from host/core/layout.ts",
    "// and host/core/scan_result.ts.",
    "",
  ];
  for (const [name, value] of layoutConstants()) {
    lines.push(`@inline export const ${name}: u32 = 0x${value.toString(16)};`);
  }
  return lines.join("\n") + "\n";
}
