/**
 * The sysfs tunables under /sys/kernel/mm/transparent_hugepage/ and its khugepaged/
 * folder, with the kernel's defaults and the kernel's validation. A write the kernel
 * refuses throws a RangeError carrying the errno and the reason.
 */
import { defaultPerSize, PER_SIZE_CHOICES, perSizePath, sizeDir, type ThpPerSize, type ThpSizeKb, THP_SIZES_KB } from "./thp_sizes.ts";

export type ThpEnabled = "always" | "madvise" | "never";
export type ThpDefrag = "always" | "defer" | "defer+madvise" | "madvise" | "never";

export interface Tunables {
  enabled: ThpEnabled;
  /** hugepages-<N>kB/enabled for each anonymous size (thp_sizes.ts). */
  hugepages: Record<ThpSizeKb, ThpPerSize>;
  defrag: ThpDefrag;
  use_zero_page: number;
  khugepaged: {
    defrag: number;
    pages_to_scan: number;
    scan_sleep_millisecs: number;
    alloc_sleep_millisecs: number;
    max_ptes_none: number;
    max_ptes_swap: number;
    max_ptes_shared: number;
  };
}

/** HPAGE_PMD_NR - 1: the ceiling of every max_ptes_* tunable. */
const MAX_PTES_LIMIT = 511;
const UINT_MAX = 0xffffffff;

/** The kernel's defaults (x86-64, 4 KiB pages, CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS). */
export function defaultTunables(): Tunables {
  return {
    enabled: "always",
    hugepages: defaultPerSize(),
    defrag: "madvise",
    use_zero_page: 1,
    khugepaged: {
      defrag: 1,
      pages_to_scan: 4096, // HPAGE_PMD_NR * 8
      scan_sleep_millisecs: 10000,
      alloc_sleep_millisecs: 60000,
      max_ptes_none: 511, // HPAGE_PMD_NR - 1
      max_ptes_swap: 64, // HPAGE_PMD_NR / 8
      max_ptes_shared: 256, // HPAGE_PMD_NR / 2
    },
  };
}

/** A refused sysfs write: the path, the errno name and the reason. */
export class TunableError extends RangeError {
  constructor(readonly path: string, readonly errno: string, reason: string) {
    super(`Cannot write transparent_hugepage/${path}: ${errno}, ${reason}`);
    this.name = "TunableError";
  }
}

const ENUMS: Record<string, readonly string[]> = {
  enabled: ["always", "madvise", "never"],
  defrag: ["always", "defer", "defer+madvise", "madvise", "never"],
};

/** Inclusive integer ranges of the numeric files, as the kernel's store handlers check them. */
const RANGES: Record<string, readonly [number, number]> = {
  use_zero_page: [0, 1],
  "khugepaged/defrag": [0, 1],
  // 0 would make khugepaged scan nothing forever: the kernel refuses it.
  "khugepaged/pages_to_scan": [1, UINT_MAX],
  "khugepaged/scan_sleep_millisecs": [0, UINT_MAX],
  "khugepaged/alloc_sleep_millisecs": [0, UINT_MAX],
  "khugepaged/max_ptes_none": [0, MAX_PTES_LIMIT],
  "khugepaged/max_ptes_swap": [0, MAX_PTES_LIMIT],
  "khugepaged/max_ptes_shared": [0, MAX_PTES_LIMIT],
};

/** A writable file's path under transparent_hugepage/: `writeTunable`'s and a scenario's `tunables` keys. */
export type TunablePath = `hugepages-${ThpSizeKb}kB/enabled` | "enabled" | "defrag" | "use_zero_page" | "khugepaged/defrag" | "khugepaged/pages_to_scan" |
  "khugepaged/scan_sleep_millisecs" | "khugepaged/alloc_sleep_millisecs" | "khugepaged/max_ptes_none" |
  "khugepaged/max_ptes_swap" | "khugepaged/max_ptes_shared";

/** Every writable file, by its path under transparent_hugepage/. */
export const TUNABLE_PATHS: readonly TunablePath[] = [
  ...Object.keys(ENUMS), ...Object.keys(RANGES), ...THP_SIZES_KB.map((kb) => `${sizeDir(kb)}/enabled`),
] as TunablePath[];

/** sysfs_streq(): the choice exactly, or with the newline `echo` adds; EINVAL otherwise. */
function choice(path: string, choices: readonly string[], value: string | number): string {
  const v = String(value).replace(/\n$/, "");
  if (!choices.includes(v)) throw new TunableError(path, "EINVAL", `expected one of ${choices.join(", ")}, got "${v}"`);
  return v;
}

/** How sysfs shows an enumerated file: every choice, the current one in brackets. */
function showChoices(choices: readonly string[], cur: string): string {
  return choices.map((c) => (c === cur ? `[${c}]` : c)).join(" ");
}

/** ENOENT for a path with no writable file behind it. */
function noSuchFile(path: string): TunableError {
  if (!path.startsWith("hugepages-")) return new TunableError(path, "ENOENT", "no such tunable");
  // hugepages-8kB exists on x86-64 for the page cache only: it has no `enabled`.
  return new TunableError(path, "ENOENT", `no such file: the sizes with an enabled file are ${THP_SIZES_KB.map(sizeDir).join(", ")}`);
}

/** Validate and apply one sysfs write (`path` relative to transparent_hugepage/). */
export function writeTunable(t: Tunables, path: string, value: string | number): void {
  const kb = perSizePath(path);
  if (kb !== undefined) {
    t.hugepages[kb] = choice(path, PER_SIZE_CHOICES, value) as ThpPerSize;
    return;
  }
  const choices = ENUMS[path];
  if (choices) {
    (t as unknown as Record<string, string>)[path] = choice(path, choices, value);
    return;
  }
  const range = RANGES[path];
  if (!range) throw noSuchFile(path);
  // kstrtouint(buf, 10): decimal digits after an optional "+", an optional newline after them.
  const n = typeof value === "number" ? value : /^\+?[0-9]+\n?$/.test(value) ? Number(value.replace("\n", "")) : NaN;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new TunableError(path, "EINVAL", `expected an integer from ${range[0]} to ${range[1]}, got ${JSON.stringify(value)}`);
  }
  if (path.startsWith("khugepaged/")) {
    (t.khugepaged as unknown as Record<string, number>)[path.slice("khugepaged/".length)] = n;
  } else {
    (t as unknown as Record<string, number>)[path] = n;
  }
}

/** Read a tunable as sysfs shows it (`enabled` shows the choice in brackets). */
export function readTunable(t: Tunables, path: string): string {
  const kb = perSizePath(path);
  if (kb !== undefined) return showChoices(PER_SIZE_CHOICES, t.hugepages[kb]);
  const choices = ENUMS[path];
  if (choices) return showChoices(choices, (t as unknown as Record<string, string>)[path]);
  if (!RANGES[path]) throw noSuchFile(path);
  return String(path.startsWith("khugepaged/")
    ? (t.khugepaged as unknown as Record<string, number>)[path.slice("khugepaged/".length)]
    : (t as unknown as Record<string, number>)[path]);
}
