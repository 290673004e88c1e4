/**
 * The compact description of a synthetic address space (`generate:` in a scenario,
 * `khugesim generate` on the command line), its defaults, its presets and its
 * validation. Sizes are bytes or strings with binary units ("1TiB", "64 MiB"), read
 * by the scenario files' parser.
 */
import { PMD_SIZE, PTES_PER_PMD } from "../core/layout.ts";
import { formatByteSize, parseByteSize } from "../core/byte_size.ts";

/** How VMA sizes are drawn; sizes are rounded to whole PMDs (2 MiB), at least one. */
export type VmaSizeDist =
  | { dist: "fixed"; size: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "lognormal"; median: number; sigma: number };

/** Relative weights of how a PTE-mapped PMD is populated. */
export interface Population {
  /** All 512 PTEs map pages. */
  full: number;
  /** `sparseNone` PTEs are empty (pte_none), at random places; the rest map pages. */
  sparse: number;
  /** Each PTE on its own: empty with probability sparseNone/512, else a page whose state is drawn per PTE. */
  mixed: number;
  /** No PTE table at all (pmd_none): mapped but never touched. */
  none: number;
}

/** The page states a synthetic page can be in besides "normal" (young, private, anonymous). */
export const PAGE_STATES = ["cold", "swapped", "shared", "lazyfree", "locked"] as const;
export type PageState = "normal" | (typeof PAGE_STATES)[number];

/**
 * Fractions of the map's memory. `huge` is the fraction of PMDs mapped by a THP
 * already; each page state is the fraction of the map's memory in that state (for
 * full and sparse PMDs the whole PMD is in one state; mixed PMDs draw it per PTE).
 * Whatever is left is normal. The sum may not exceed 1.
 */
export interface Fractions {
  huge: number;
  /** Private pages with neither the young bit nor the referenced flag (khugepaged: lack_referenced_page). */
  cold: number;
  /** Swap entries. */
  swapped: number;
  /** Pages of folios mapped by two mms (mapcount 2, write-protected, as fork leaves them). */
  shared: number;
  /** Clean lazy-free pages, as MADV_FREE leaves them (anon, not swap-backed, old, clean). */
  lazyfree: number;
  /** Pages whose folio is locked (PG_locked: under I/O or migration); mlock is not modelled. */
  locked: number;
}

export interface SynthSpec {
  /** Seed of every random choice; the same spec and seed give the same map, byte for byte. */
  seed: number;
  /** Number of tasks (mms); the size is split evenly between them. */
  tasks: number;
  /** Total mapped bytes, a multiple of 2 MiB, at most MAX_SYNTH_BYTES. */
  size: number;
  vmaSize: VmaSizeDist;
  population: Population;
  /** Empty PTEs of a sparse PMD (0 to 512); also sets a mixed PMD's chance of an empty PTE. */
  sparseNone: number;
  fractions: Fractions;
  /**
   * Distinct PTE tables per kind of sparse or mixed PMD (their empty slots and mixed
   * states differ), or "unique": every such PMD gets its own random table.
   */
  variety: number | "unique";
  /**
   * "class": the PMDs of one template share its synthetic pfns (and so its PTE table);
   * "pmd": every PMD maps its own synthetic pfns, so no two PMDs are alike.
   */
  pfns: "class" | "pmd";
  /** Store alike PMDs once (true) or give every PMD its own copy (the dense representation). */
  dedup: boolean;
  /** Give every VMA VM_HUGEPAGE (MADV_HUGEPAGE), which THP "madvise" mode requires. */
  madvHugepage: boolean;
  /** Task name prefix: tasks are "<name>-0", "<name>-1", … */
  name: string;
}

/** What a caller may write: every field optional, sizes as strings. */
export interface SynthSpecInput {
  seed?: number;
  tasks?: number;
  size?: number | string;
  vmaSize?: { dist: string; size?: number | string; min?: number | string; max?: number | string;
    median?: number | string; sigma?: number };
  population?: Partial<Population>;
  sparseNone?: number;
  fractions?: Partial<Fractions>;
  variety?: number | "unique";
  pfns?: "class" | "pmd";
  dedup?: boolean;
  madvHugepage?: boolean;
  name?: string;
  /** Start from a preset (see SYNTH_PRESETS); the fields given replace its fields (fractions merge). */
  preset?: string;
}

const MIB = 1024 * 1024;

/**
 * The largest total `size`. Generating takes time and memory in proportion to the PMDs
 * (the plan walks each, its directory takes 4 bytes of each): on a 2-core machine 256 TiB
 * takes about 17 s and 0.7 to 1 GB of memory (the uniform preset over 8 tasks, the default
 * map over 64, which its 65,530-VMA limit per mm needs), 512 TiB twice that.
 */
export const MAX_SYNTH_BYTES = 256 * 1024 ** 4;

/** The defaults: one task, 1 GiB, full young private PMDs. */
export function defaultSynthSpec(): SynthSpec {
  return {
    seed: 1,
    tasks: 1,
    size: 1024 * MIB,
    vmaSize: { dist: "lognormal", median: 64 * MIB, sigma: 1 },
    population: { full: 1, sparse: 0, mixed: 0, none: 0 },
    sparseNone: 64,
    fractions: { huge: 0, cold: 0, swapped: 0, shared: 0, lazyfree: 0, locked: 0 },
    variety: 8,
    pfns: "class",
    dedup: true,
    madvHugepage: false,
    name: "synth",
  };
}

/**
 * Named starting points. "realistic" is a long-running server's mix: a third already
 * huge, some cold, lazy-free, swapped and shared memory, a few sparse and mixed PMDs.
 */
export const SYNTH_PRESETS: Readonly<Record<string, SynthSpecInput>> = {
  uniform: { vmaSize: { dist: "fixed", size: "1GiB" }, population: { full: 1 } },
  random: { population: { full: 0, mixed: 1 }, variety: "unique", sparseNone: 32,
    fractions: { cold: 0.1, swapped: 0.02, shared: 0.05, lazyfree: 0.05, locked: 0.001 } },
  realistic: {
    tasks: 16,
    vmaSize: { dist: "lognormal", median: "64MiB", sigma: 1.5 },
    population: { full: 0.7, sparse: 0.15, mixed: 0.1, none: 0.05 },
    sparseNone: 96,
    fractions: { huge: 0.3, cold: 0.15, swapped: 0.05, shared: 0.05, lazyfree: 0.1, locked: 0.005 },
    variety: 16,
  },
};

/** Parse a byte count: a number, or a string such as "1 TiB" or "64MiB" (B, KiB, MiB, GiB, TiB). */
export function parseBytes(value: unknown, path: string): number {
  if (typeof value !== "number" && typeof value !== "string") {
    throw new TypeError(`${path} must be a number of bytes or a string such as "1TiB", got ${typeof value}`);
  }
  const n = parseByteSize(value);
  if (n === undefined) {
    throw new RangeError(`${path} must be a byte count such as "1TiB" or "64MiB", got ${JSON.stringify(value)}`);
  }
  if (!(Number.isSafeInteger(n) && n >= 0)) {
    throw new RangeError(`${path} must be a whole number of bytes, got ${JSON.stringify(value)}`);
  }
  return n;
}

function num(value: unknown, path: string, min: number, max: number, integer = false): number {
  if (typeof value !== "number") throw new TypeError(`${path} must be a number, got ${typeof value}`);
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${path} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new RangeError(`${path} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`);
  }
  return value as Record<string, unknown>;
}

function noUnknownKeys(o: Record<string, unknown>, path: string, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new RangeError(`${path}.${key} is not a known field: expected one of ${known.join(", ")}`);
  }
}

function pmdBytes(value: unknown, path: string): number {
  const n = parseBytes(value, path);
  if (n < PMD_SIZE || n % PMD_SIZE !== 0) throw new RangeError(`${path} must be a positive multiple of 2 MiB, got ${n}`);
  return n;
}

function parseVmaSize(value: unknown, path: string): VmaSizeDist {
  const o = object(value, path);
  const dist = oneOf(o.dist, `${path}.dist`, ["fixed", "uniform", "lognormal"] as const);
  if (dist === "fixed") {
    noUnknownKeys(o, path, ["dist", "size"]);
    return { dist, size: pmdBytes(o.size, `${path}.size`) };
  }
  if (dist === "uniform") {
    noUnknownKeys(o, path, ["dist", "min", "max"]);
    const min = pmdBytes(o.min, `${path}.min`), max = pmdBytes(o.max, `${path}.max`);
    if (max < min) throw new RangeError(`${path}.max must be at least ${path}.min (${min}), got ${max}`);
    return { dist, min, max };
  }
  noUnknownKeys(o, path, ["dist", "median", "sigma"]);
  return { dist, median: pmdBytes(o.median, `${path}.median`), sigma: num(o.sigma, `${path}.sigma`, 0, 10) };
}

const SPEC_KEYS = [
  "preset", "seed", "tasks", "size", "vmaSize", "population", "sparseNone", "fractions", "variety", "pfns",
  "dedup", "madvHugepage", "name",
] as const;

/**
 * Validate a synthetic map description and fill in the defaults (and the preset it
 * names). `path` prefixes field names in errors, e.g. "scenario.generate".
 *
 * @example
 * const spec = parseSynthSpec({ preset: "realistic", size: "1TiB", seed: 7 });
 */
export function parseSynthSpec(input: unknown, path = "generate"): SynthSpec {
  const o = object(input, path);
  noUnknownKeys(o, path, SPEC_KEYS);
  const spec = defaultSynthSpec();
  if (o.preset !== undefined) {
    const name = oneOf(o.preset, `${path}.preset`, Object.keys(SYNTH_PRESETS));
    const { preset: _ignored, ...rest } = o;
    const base = SYNTH_PRESETS[name];
    // Fields replace the preset's, except fractions, which merge (the rest default to 0).
    const fractions = { ...base.fractions, ...(rest.fractions === undefined ? {} : object(rest.fractions, `${path}.fractions`)) };
    return parseSynthSpec({ ...base, ...rest, fractions }, path);
  }
  if (o.seed !== undefined) spec.seed = num(o.seed, `${path}.seed`, 0, 0xffffffff, true);
  if (o.tasks !== undefined) spec.tasks = num(o.tasks, `${path}.tasks`, 1, 1 << 20, true);
  if (o.size !== undefined) spec.size = pmdBytes(o.size, `${path}.size`);
  if (o.vmaSize !== undefined) spec.vmaSize = parseVmaSize(o.vmaSize, `${path}.vmaSize`);
  if (o.population !== undefined) {
    const p = object(o.population, `${path}.population`);
    noUnknownKeys(p, `${path}.population`, ["full", "sparse", "mixed", "none"]);
    // Weights given replace the default ones entirely: {mixed: 1} means only mixed PMDs.
    const pop: Population = { full: 0, sparse: 0, mixed: 0, none: 0 };
    for (const k of ["full", "sparse", "mixed", "none"] as const) {
      if (p[k] !== undefined) pop[k] = num(p[k], `${path}.population.${k}`, 0, 1e9);
    }
    if (pop.full + pop.sparse + pop.mixed + pop.none <= 0) {
      throw new RangeError(`${path}.population must give at least one positive weight, got ${JSON.stringify(p)}`);
    }
    spec.population = pop;
  }
  if (o.sparseNone !== undefined) spec.sparseNone = num(o.sparseNone, `${path}.sparseNone`, 0, PTES_PER_PMD, true);
  if (o.fractions !== undefined) {
    const f = object(o.fractions, `${path}.fractions`);
    const keys = ["huge", ...PAGE_STATES] as const;
    noUnknownKeys(f, `${path}.fractions`, keys);
    for (const k of keys) if (f[k] !== undefined) spec.fractions[k] = num(f[k], `${path}.fractions.${k}`, 0, 1);
    const sum = keys.reduce((s, k) => s + spec.fractions[k], 0);
    if (sum > 1 + 1e-9) throw new RangeError(`${path}.fractions must sum to at most 1, got ${Number(sum.toFixed(6))}`);
  }
  if (o.variety !== undefined) {
    spec.variety = o.variety === "unique" ? "unique" : num(o.variety, `${path}.variety`, 1, 65536, true);
  }
  if (o.pfns !== undefined) spec.pfns = oneOf(o.pfns, `${path}.pfns`, ["class", "pmd"] as const);
  if (o.dedup !== undefined) {
    if (typeof o.dedup !== "boolean") throw new TypeError(`${path}.dedup must be a boolean, got ${typeof o.dedup}`);
    spec.dedup = o.dedup;
  }
  if (o.madvHugepage !== undefined) {
    if (typeof o.madvHugepage !== "boolean") {
      throw new TypeError(`${path}.madvHugepage must be a boolean, got ${typeof o.madvHugepage}`);
    }
    spec.madvHugepage = o.madvHugepage;
  }
  if (o.name !== undefined) {
    if (typeof o.name !== "string" || o.name === "") throw new TypeError(`${path}.name must be a non-empty string`);
    spec.name = o.name;
  }
  if (spec.size / PMD_SIZE < spec.tasks) {
    throw new RangeError(`${path}.size must give each of the ${path}.tasks at least one 2 MiB PMD: ` +
      `${spec.tasks} tasks need ${spec.tasks * PMD_SIZE} bytes, got ${spec.size}`);
  }
  if (spec.size > MAX_SYNTH_BYTES) {
    throw new RangeError(`${path}.size must be at most ${formatByteSize(MAX_SYNTH_BYTES)} (${MAX_SYNTH_BYTES}), got ${spec.size}`);
  }
  return spec;
}
