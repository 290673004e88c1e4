/** Sizes in scenario files: a number of bytes, or a string such as "128 MiB". */

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$/;

/** Bytes of a size, or undefined when `value` is not a size (a unit other than B, KiB, MiB, GiB, TiB). */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const m = SIZE_RE.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] ?? "B"];
}

/** A byte count in the largest binary unit that divides it: 134217728 → "128 MiB". */
export function formatByteSize(bytes: number): string {
  for (const unit of ["TiB", "GiB", "MiB", "KiB"]) {
    const n = bytes / UNITS[unit];
    if (Number.isInteger(n) && n >= 1) return `${n} ${unit}`;
  }
  return `${bytes} B`;
}
