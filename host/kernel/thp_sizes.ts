/**
 * The per-size THP controls, /sys/kernel/mm/transparent_hugepage/hugepages-<N>kB/enabled
 * (mm/huge_memory.c: anon_enabled_store, the huge_anon_orders_{always,inherit,madvise}
 * bitmaps, hugepage_global_enabled/always), for x86-64 with 4 KiB pages.
 *
 * Anonymous THP orders there are THP_ORDERS_ALL_ANON: 2 (16 KiB) through PMD_ORDER 9
 * (2 MiB); order 1 (hugepages-8kB) exists for the page cache only and has no `enabled`
 * file. `inherit` refers to the top-level `enabled`.
 */
/** One size's `enabled` file. */
export type ThpPerSize = "always" | "inherit" | "madvise" | "never";

/** The anonymous sizes in KiB, smallest first: order 2 … PMD_ORDER. */
export const THP_SIZES_KB = [16, 32, 64, 128, 256, 512, 1024, 2048] as const;
export type ThpSizeKb = (typeof THP_SIZES_KB)[number];

/** The per-size choices in the order sysfs prints them. */
export const PER_SIZE_CHOICES: readonly ThpPerSize[] = ["always", "inherit", "madvise", "never"];

/** HPAGE_PMD_ORDER with 4 KiB pages. */
export const PMD_ORDER = 9;
/** The smallest anonymous mTHP order khugepaged and faults use. */
export const MIN_ANON_ORDER = 2;

/** A size's page order: log2(N KiB / 4 KiB). */
export function sizeOrder(kb: ThpSizeKb): number {
  return Math.log2(kb / 4);
}

/** The size of order `order` in KiB. */
export function orderSizeKb(order: number): ThpSizeKb {
  return (4 << order) as ThpSizeKb;
}

/** The sysfs folder of a size under transparent_hugepage/: `hugepages-<N>kB`. */
export function sizeDir(kb: ThpSizeKb): `hugepages-${ThpSizeKb}kB` {
  return `hugepages-${kb}kB`;
}

/** The kernel's defaults: the PMD size inherits, every smaller size is off. */
export function defaultPerSize(): Record<ThpSizeKb, ThpPerSize> {
  const r = {} as Record<ThpSizeKb, ThpPerSize>;
  for (const kb of THP_SIZES_KB) r[kb] = kb === 2048 ? "inherit" : "never";
  return r;
}

/** The size a `hugepages-<N>kB/enabled` path names, or undefined when it names none. */
export function perSizePath(path: string): ThpSizeKb | undefined {
  const m = /^hugepages-([0-9]+)kB\/enabled$/.exec(path);
  const kb = m ? Number(m[1]) : NaN;
  return (THP_SIZES_KB as readonly number[]).includes(kb) ? (kb as ThpSizeKb) : undefined;
}

/** What the THP settings say about the `enabled` choice of each size and the top level. */
export interface ThpSettings {
  /** The top-level `enabled` (tunables.ts ThpEnabled). */
  enabled: "always" | "madvise" | "never";
  hugepages: Record<ThpSizeKb, ThpPerSize>;
}

/**
 * Whether order `order` is allowed for an anonymous VMA whose VM_HUGEPAGE flag is
 * `vmHugepage`: `always`, `madvise` with the flag, or `inherit` with the top level
 * allowing it the same way.
 */
export function orderEnabled(t: ThpSettings, order: number, vmHugepage: boolean): boolean {
  const v = t.hugepages[orderSizeKb(order)];
  const eff = v === "inherit" ? t.enabled : v;
  return eff === "always" || (eff === "madvise" && vmHugepage);
}

/** The orders allowed for a VMA whose VM_HUGEPAGE flag is `vmHugepage`, as a bitmask (bit o: order o). */
export function enabledOrders(t: ThpSettings, vmHugepage: boolean): number {
  let mask = 0;
  for (const kb of THP_SIZES_KB) if (orderEnabled(t, sizeOrder(kb), vmHugepage)) mask |= 1 << sizeOrder(kb);
  return mask;
}

/**
 * Whether order `order` is set to anything but off: the bit is in one of
 * huge_anon_orders_{always,madvise}, or in huge_anon_orders_inherit while
 * hugepage_global_enabled().
 */
export function orderOn(t: ThpSettings, order: number): boolean {
  return orderEnabled(t, order, true);
}

/**
 * Whether khugepaged has work to do: `hugepage_pmd_enabled()` before the mTHP series
 * (the PMD size only), `hugepage_enabled()` with it (any anonymous size). The
 * CONFIG_READ_ONLY_THP_FOR_FS clause (file THPs under the top-level control) is left
 * out: khugesim has anonymous memory only.
 */
export function hugepageEnabled(t: ThpSettings, anyOrder: boolean): boolean {
  if (!anyOrder) return orderOn(t, PMD_ORDER);
  return THP_SIZES_KB.some((kb) => orderOn(t, sizeOrder(kb)));
}
