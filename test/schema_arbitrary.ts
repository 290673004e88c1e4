/**
 * fast-check values from a JSON Schema (zod's z.toJSONSchema of the scenario schema), for
 * the fuzz test: objects of the schema's shape, their strings drawn from pools by field
 * name so that names refer to one another, their numbers small so that runs stay short.
 * "valid" values keep to the schema's kinds and ranges; "mutated" ones now and then put a
 * value of the wrong kind, a number past its range or a key the schema lacks.
 */
import fc from "fast-check";

type Schema = Record<string, unknown>;

/** Names the scenario's fields refer to one another by, by field; any other string field draws from all. */
const POOLS: Record<string, string[]> = {
  name: ["a", "b", "c"], vma: ["a", "b"], child: ["kid", "a"], tlb: ["zen5", "golden-cove"],
  variants: ["baseline", "lazyfree-skip", "lazyfree-keep", "7.1+lazyfree-keep", "6.18"],
  tunables: ["enabled", "khugepaged/max_ptes_none", "khugepaged/pages_to_scan", "defrag", "use_zero_page"],
  costPreset: ["zen5-bare", "zen5-kvm-4k", "golden-cove-bare"],
};
const NAMES = [...new Set(Object.values(POOLS).flat())];
/** Tunable writes the kernel takes. */
const TUNABLE_WRITES: Array<[string, unknown]> = [
  ["enabled", "madvise"], ["defrag", "never"], ["khugepaged/max_ptes_none", 64], ["khugepaged/pages_to_scan", 4096], ["use_zero_page", 0],
];
/** Byte sizes by field, for the fields zod describes as anything (byte sizes are numbers or strings). */
const BYTES: Record<string, unknown[]> = {
  totalBytes: ["16 GiB", "64 MiB", "4 MiB", 2097152], size: ["2 MiB", "4 KiB", "64 MiB", 8192], alignment: ["2 MiB", 4096],
  offset: [0, 4096, "2 MiB"], length: [4096, "2 MiB"], targetFreeBytes: [0, 4096, "1 MiB"],
};

export interface Mode {
  /** Whether values may leave the schema: a wrong kind, a number past its range, an unknown key. */
  mutated: boolean;
}
/** Byte sizes, as numbers and as the strings a scenario may write. */
const SIZES: unknown[] = [0, 4096, 5000, 2097152, "2 MiB", "4 KiB", "64 MiB", "1 GiB", "3 MiB", "-4096", "1e3", "0x1000", "8 TiB"];

/** Any value at all, for a field that gets the wrong kind. */
const WRONG = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}));

function numberArb(s: Schema, integer: boolean, mode: Mode): fc.Arbitrary<number> {
  const low = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : 0;
  // Small values keep a run short; the edges of the range are where refusals live.
  const max = Math.min(typeof s.maximum === "number" ? s.maximum : 1e6, Math.max(low, 0) + 100);
  const min = typeof s.exclusiveMinimum === "number" ? Math.min(max, low + 0.001) : low;
  const inside = integer ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true });
  if (!mode.mutated) return inside;
  const edges = [min, max, min - 1, 0, 1, 0.5, -1, 1e12].map((n) => (integer ? Math.round(n) : n));
  return fc.oneof({ arbitrary: inside, weight: 4 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

/** Values of `schema` (the field `key`), whose `$ref`s point into `defs`; `depth` bounds the nesting. */
export function fromSchema(schema: Schema, defs: Record<string, Schema>, mode: Mode, key = "", depth = 0): fc.Arbitrary<unknown> {
  const s = typeof schema.$ref === "string" ? defs[(schema.$ref as string).split("/").pop()!] : schema;
  const exact = valuesOf(s, defs, mode, key, depth);
  return mode.mutated ? fc.oneof({ arbitrary: exact, weight: 29 }, { arbitrary: WRONG, weight: 1 }) : exact;
}

function valuesOf(s: Schema, defs: Record<string, Schema>, mode: Mode, key: string, depth: number): fc.Arbitrary<unknown> {
  const variants = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
  if (variants) return fc.oneof(...variants.map((v) => fromSchema(v, defs, mode, key, depth)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const type = s.type;
  if (Array.isArray(type)) return fc.oneof(...type.map((t) => valuesOf({ ...s, type: t }, defs, mode, key, depth)));
  switch (type) {
    case "string": {
      const pool = fc.constantFrom(...(POOLS[key] ?? NAMES));
      return mode.mutated ? fc.oneof({ arbitrary: pool, weight: 5 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 }) : pool;
    }
    case "number": return numberArb(s, false, mode);
    case "integer": return numberArb(s, true, mode);
    case "boolean": return fc.boolean();
    case "array": {
      if (depth > 8) return fc.constant([]);
      // A valid scenario has a task, and each task a VMA, for its steps to name.
      const least = !mode.mutated && (key === "tasks" || key === "vmas") ? 1 : 0;
      const minLength = mode.mutated || typeof s.minItems !== "number" ? least : Math.max(least, s.minItems);
      const items = fromSchema((s.items ?? {}) as Schema, defs, mode, key, depth + 1);
      // Names listed twice are refused; a valid list names each once.
      const item = s.items as Schema | undefined;
      const size = { minLength, maxLength: Math.max(minLength, 3) };
      if (mode.mutated) return fc.array(items, size);
      // hugepage and nohugepage together are refused.
      if (key === "flags") return fc.constantFrom([], ["hugepage"], ["nohugepage"], ["droppable"], ["hugepage", "droppable"]);
      if (item?.type === "string") return fc.uniqueArray(items, size);
      // Tasks and VMAs go by name, unique in their list.
      const named = (item?.properties as Record<string, unknown> | undefined)?.name !== undefined;
      return named ? fc.uniqueArray(items, { ...size, selector: (v) => (v as { name?: unknown }).name }) : fc.array(items, size);
    }
    case "object": return objectOf(s, defs, mode, key, depth);
    // A field zod could not describe (a byte size, a map description): sizes, or anything.
    default: {
      if (key === "generate") return mode.mutated ? fc.oneof(WRONG, fc.constant({ size: "64MiB", preset: "realistic" })) : fc.constant(undefined);
      // A preset object (the other choice is a preset's name, from POOLS).
      if (key === "costPreset") return mode.mutated ? WRONG : fc.constant(undefined);
      const sizes = fc.constantFrom(...(BYTES[key] ?? SIZES));
      return mode.mutated ? fc.oneof({ arbitrary: sizes, weight: 4 }, { arbitrary: fc.constantFrom(...SIZES), weight: 1 }) : sizes;
    }
  }
}

function objectOf(s: Schema, defs: Record<string, Schema>, mode: Mode, key: string, depth: number): fc.Arbitrary<unknown> {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set((s.required ?? []) as string[]);
  if (depth > 8) return fc.constant({});
  const fields = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v, defs, mode, k, depth + 1)]));
  const must = (k: string) => required.has(k) || (!mode.mutated && k === "tasks");
  const record = fc.record(fields, { requiredKeys: Object.keys(props).filter(must) });
  // A record of free keys (tunables), or now and then a key the schema does not know.
  const extra = s.additionalProperties && typeof s.additionalProperties === "object"
    ? mode.mutated
      ? fc.dictionary(fc.constantFrom(...(POOLS[key] ?? NAMES)), fromSchema(s.additionalProperties as Schema, defs, mode, key, depth + 1),
        { maxKeys: 2 })
      : fc.subarray(TUNABLE_WRITES, { maxLength: 2 }).map((w) => Object.fromEntries(w))
    : mode.mutated ? fc.oneof({ arbitrary: fc.constant({}), weight: 29 }, { arbitrary: fc.record({ surprise: fc.integer() }), weight: 1 })
    : fc.constant({});
  return fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...r }));
}
