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

export type Virtualization = { readonly mode: "none" } | { readonly mode: "nested"; readonly hostPage: HostPage };

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

/** Loads of a walk whose guest part makes `guestRefs` loads, under a host walk of `levels` (0: bare metal). */
export function nestedWalkRefs(guestRefs: number, levels: number): number {
  return levels === 0 ? guestRefs : (guestRefs + 1) * (levels + 1) - 1;
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
