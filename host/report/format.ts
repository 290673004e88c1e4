/** Number formatting for reports, the same in every locale and runtime. */

/** An integer with thousands separators: 284814532 → "284,814,532". */
export function withCommas(n: number): string {
  const s = Math.round(Math.abs(n)).toString();
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}

/** A relative change in percent with its sign: "-6.69 %", "+7.19 %", "n/a" from zero. */
export function percentChange(from: number, to: number): string {
  if (from === 0) return to === 0 ? "0.00 %" : "n/a";
  const d = ((to - from) / from) * 100;
  return `${d >= 0 ? "+" : "-"}${Math.abs(d).toFixed(2)} %`;
}

/** Seconds with one decimal, for timelines: "70.0 s". */
export function seconds1(s: number): string {
  return `${s.toFixed(1)} s`;
}

/** `x` rounded to `digits` decimals, as a number (for JSON). */
export function roundTo(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/**
 * Lay out rows of cells as text columns: the first `left` columns (default 1) left-aligned,
 * the rest right-aligned unless told.
 */
export function columns(rows: string[][], options: { gap?: number; alignRight?: boolean; left?: number } = {}): string {
  const gap = " ".repeat(options.gap ?? 3);
  const right = options.alignRight ?? true;
  const left = options.left ?? 1;
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i < left || !right ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(gap).trimEnd())
    .join("\n");
}
