/**
 * Nested paging: a guest's data TLB under a hypervisor that maps guest-physical memory
 * with its own page tables (AMD NPT, Intel EPT).
 *
 * - A TLB entry caches the guest-virtual to host-physical translation, so it maps the
 *   smaller of the guest's page and the host's: a guest THP backed by 4 KiB host pages is
 *   splintered into 4 KiB entries (AMD64 APM vol. 2, §15.25.5 "Nested Table Walk": the
 *   TLB entry's size is the smaller of the guest and nested page sizes).
 * - A miss takes a two-dimensional walk: each of the guest's g paging-structure loads is
 *   a guest-physical address the host's h-level walk translates first, and so is the
 *   final guest-physical address: g + (g + 1) × h = (g + 1)(h + 1) − 1 loads, 24 for a
 *   4-level guest over a 4-level host (Bhargava et al., "Accelerating two-dimensional
 *   page walks for virtualized systems", ASPLOS 2008, figure 2).
 * - The TLB cores simulate a nested TLB and a nested walk cache where a preset gives them
 *   (TlbPreset.nestedWalkCaches): a host translation the nested TLB holds costs no load,
 *   one whose upper host entry the nested walk cache holds costs one. The presets give
 *   none (their sizes are unpublished), so their host walks are full ones and the
 *   references per walk are the upper bound of the 2-D walk.
 */

/** Page size the host maps guest memory with. */
export type HostPage = "4k" | "2m" | "1g";

/** Fractions of guest memory the host backs with each page size; they sum to 1. */
export type HostPageMix = Readonly<Partial<Record<HostPage, number>>>;

export type Virtualization =
  | { readonly mode: "none" }
  | {
    readonly mode: "nested";
    /** The host's page size; with `mix`, its most common one. */
    readonly hostPage: HostPage;
    /** A mix of host page sizes over guest-physical regions, drawn from `seed` (hostLevelsAt). */
    readonly mix?: { readonly fractions: HostPageMix; readonly seed: number };
  };

export const BARE_METAL_MMU: Virtualization = { mode: "none" };

/** x86-64 4-level host tables: a walk ends at the PTE (4 loads), the PMD (3) or the PUD (2). */
const HOST_LEVELS: Record<HostPage, number> = { "4k": 4, "2m": 3, "1g": 2 };

/** Host walk loads per guest-physical address: 0 on bare metal. */
export function hostLevels(v: Virtualization): number {
  return v.mode === "none" ? 0 : HOST_LEVELS[v.hostPage];
}

/** Whether a host walk of `levels` loads ends at 4 KiB pages, splintering a guest's 2 MiB pages. */
export function splinters(levels: number): boolean {
  return levels === HOST_LEVELS["4k"];
}

/** murmur3's finaliser: a u32 hash of a u32. */
export function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A fraction as a u32 threshold on a hash: P(hash < t) = t / 2^32, 1 clamped to 2^32 − 1. */
function threshold(p: number): number {
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

/**
 * The thresholds of a mix (host/tlb/tlb_layout.ts TLB_HOST_MIX_1G and _4K): of 1 GiB
 * regions, and of 4 KiB among the 2 MiB regions of the rest.
 */
export function mixThresholds(f: HostPageMix): { t1g: number; t4k: number } {
  const small = (f["4k"] ?? 0) + (f["2m"] ?? 0);
  return { t1g: threshold(f["1g"] ?? 0), t4k: small === 0 ? 0 : threshold((f["4k"] ?? 0) / small) };
}

/**
 * Host walk loads for guest-physical 2 MiB region `region` under a mix: 2 when its
 * 1 GiB region is backed by a 1 GiB page, else 4 or 3 as its 2 MiB region is backed by
 * 4 KiB or 2 MiB pages. A pure function of the region and the seed: every run and both
 * TLB cores back a region alike.
 */
export function mixedHostLevels(region: number, seed: number, t1g: number, t4k: number): number {
  if (fmix32(((region >>> 9) | 0x80000000) ^ seed) < t1g) return HOST_LEVELS["1g"];
  return fmix32((region ^ seed) >>> 0) < t4k ? HOST_LEVELS["4k"] : HOST_LEVELS["2m"];
}

/** Loads of a walk whose guest part makes `guestRefs` loads, under a host walk of `levels` (0: bare metal). */
export function nestedWalkRefs(guestRefs: number, levels: number): number {
  return levels === 0 ? guestRefs : (guestRefs + 1) * (levels + 1) - 1;
}

/**
 * Nested paging over a host that backs `fractions` of guest memory with each page size,
 * regions drawn from `seed`; throws RangeError unless the fractions are from 0 to 1 and
 * sum to 1.
 */
export function mixedVirtualization(fractions: HostPageMix, seed: number): Virtualization {
  const sizes = Object.keys(fractions) as HostPage[];
  const sum = sizes.reduce((a, k) => a + (fractions[k] ?? 0), 0);
  if (!(sizes.length > 0 && sizes.every((k) => k in HOST_LEVELS && fractions[k]! >= 0 && fractions[k]! <= 1) &&
    Math.abs(sum - 1) < 1e-9)) {
    throw new RangeError(`Unknown host page mix ${JSON.stringify(fractions)}: expected fractions of 4k, 2m and 1g summing to 1`);
  }
  const hostPage = sizes.reduce((a, k) => ((fractions[k] ?? 0) > (fractions[a] ?? 0) ? k : a));
  return { mode: "nested", hostPage, mix: { fractions, seed: seed >>> 0 } };
}

/**
 * A scenario machine's virtualization: a name as virtualizationOf() reads it, or
 * `{ nested: mix }`, the mix's regions drawn from `seed`; undefined is bare metal.
 */
export function machineVirtualization(v: string | { nested: HostPageMix } | undefined, seed: number): Virtualization {
  return typeof v === "object" ? mixedVirtualization(v.nested, seed) : virtualizationOf(v ?? "none");
}

/** The virtualization named by a scenario's `virtualization` value ("none", "nested-4k", "nested-2m", "nested-1g"). */
export function virtualizationOf(name: string): Virtualization {
  if (name === "none") return BARE_METAL_MMU;
  const hostPage = name.replace(/^nested-/, "");
  if (!(name.startsWith("nested-") && hostPage in HOST_LEVELS)) {
    throw new RangeError(`Unknown virtualization "${name}": expected none, nested-4k, nested-2m or nested-1g`);
  }
  return { mode: "nested", hostPage: hostPage as HostPage };
}

/**
 * Loads per walk once nested page-walk caches have done their part, from the full 2-D
 * count `refsPerWalk` (an average over walks) under a host walk of `levels` loads: the
 * host translations of the guest's page-table pages hit the nested TLB (a 128 MiB buffer
 * has 64 PTE pages), and the final guest-physical address takes one host load below the
 * host's own page-walk caches. So a walk is its g guest loads plus one: (r + 1)/(h + 1).
 * An approximation for buffers whose page tables are small, not a simulated cache.
 */
export function cachedNestedRefs(refsPerWalk: number, levels: number): number {
  return levels === 0 ? refsPerWalk : (refsPerWalk + 1) / (levels + 1);
}
