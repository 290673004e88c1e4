/**
 * Data-TLB presets of real cores: array sizes, associativity, latencies, and which
 * event the vendor's perf `dTLB-load-misses` counts. Each number cites its source; a
 * number no source in reach gave is marked "assumed" with the reason for its value.
 */

/** One set-associative array; `ways === entries` makes it fully associative. */
export interface TlbArray {
  readonly entries: number;
  readonly ways: number;
}

/** What the generic perf event `dTLB-load-misses` counts on a vendor's cores. */
export type PerfDtlbLoadMisses =
  /** Completed walks caused by loads only (Intel `DTLB_LOAD_MISSES.WALK_COMPLETED`). */
  | "walks-on-loads"
  /** Every L2 DTLB miss, loads and stores (AMD `LsL1DTlbMiss`, umask 0xf0, "L2 DTLB misses (PT walks)"). */
  | "walks";

export interface TlbPreset {
  readonly name: string;
  readonly description: string;
  /** First-level DTLB for 4 KiB pages. */
  readonly l1: TlbArray;
  /** First-level DTLB for 2 MiB pages, or "shared" when `l1` holds every page size. */
  readonly l1Huge: TlbArray | "shared";
  /** Second-level DTLB; it holds 4 KiB and, when `l2HoldsHuge`, 2 MiB translations. */
  readonly l2: TlbArray;
  readonly l2HoldsHuge: boolean;
  /**
   * 4 KiB pages one TLB entry holds when their PTEs coalesce (1: the core coalesces
   * nothing): a naturally aligned group of that many present PTEs mapping as many
   * contiguous frames, the first aligned as the group, with one set of permissions
   * (host/tlb/tlb_layout.ts TLB_COALESCE_SHIFT). Decided from the page tables on every
   * access, so scattered frames give exactly the counts of a core without it.
   */
  readonly pteCoalescing: number;
  /** Page-walk caches of the upper paging levels; null where the model has none. */
  readonly pageWalkCaches: { readonly pmd: TlbArray | null; readonly pud: TlbArray | null; readonly pgd: TlbArray | null };
  /**
   * Caches of the nested walk under a host (host/tlb/tlb_layout.ts TLB_NTLB): the nested
   * TLB of guest-physical to host-physical translations, and the nested walk cache of
   * the host's entries one level above its leaf; null where the model has none.
   */
  readonly nestedWalkCaches: { readonly ntlb: TlbArray | null; readonly pwc: TlbArray | null };
  /** Cycles of an L1 miss that hits the L2. */
  readonly l2HitCycles: number;
  /** Fixed cycles of a walk, plus `walkRefCycles` per paging-structure load it makes. */
  readonly walkBaseCycles: number;
  readonly walkRefCycles: number;
  readonly perfDtlbLoadMisses: { readonly counts: PerfDtlbLoadMisses; readonly event: string };
}

/**
 * AMD Zen 5 (Ryzen 9000, EPYC 9005). The seed experiment's bare-metal host fits it: its
 * 0.869 walks per access is what a 4096-entry L2 gives for uniform accesses over 32768
 * pages (0.875), and its inferred 4.3 GHz TSC is the Ryzen 9 9950X base clock.
 */
export const ZEN5: TlbPreset = {
  name: "zen5",
  description: "AMD Zen 5: 96-entry fully associative L1 DTLB, 4096-entry L2 DTLB",
  // Hot Chips 2024, "Next Generation 'Zen 5' Core" (Cohen, Subramony): "TLBs L1: 64entry
  // ITLB, 96entry DTLB"; fully associative and holding every page size as on Zen 2-4
  // (WikiChip, Zen 2 memory subsystem: "The fully-associative L1 data TLB ... holds
  // 4-Kbyte, 2-Mbyte, and 1-Gbyte page table entries").
  l1: { entries: 96, ways: 96 },
  l1Huge: "shared",
  // Hot Chips 2024: "L2: 2K ITLB; 4K DTLB everything but 1G"; Linux commit "x86/CPU/AMD:
  // Fix Zen5 TLB sizes reporting" (Borislav Petkov): "Last level dTLB entries: 4KB 4096,
  // 2MB 4096". Associativity assumed 16-way: none of the sources found states it.
  l2: { entries: 4096, ways: 16 },
  l2HoldsHuge: true,
  // PTE coalescing. The Family 1Ah Model 00h-0Fh performance-monitor events as Linux
  // carries them (tools/perf/pmu-events/arch/x86/amdzen5/load-store.json, "perf vendor
  // events amd: Add Zen 5 core events", Sandipan Das, 2024) count L1 DTLB misses that
  // hit the L2 DTLB "for coalesced pages" (LsL1DTlbMiss umask 0x02) and that walk for
  // them (umask 0x20), and define "A coalesced page is a 16k page created from four
  // adjacent 4k pages": four pages, in both levels (an L1 reload from an L2 hit, and a
  // walk's fill). Zen 1 coalesced eight into 32K (amdzen1 load-store.json,
  // tlb_reload_32k_l2_hit, "L1 DTLB Reload of a page of 32K size"); Zi Yan on linux-mm,
  // 2025-03-27 (Re: [PATCH v3] mm/filemap: Allow arch to request folio size for exec
  // memory): "AMD's PTE coalescing, which does PTE compression at 16KB or 32KB level".
  // The group's alignment follows from the entry: one 16 KiB translation maps virtual
  // bits above 14 to physical bits above 14, so both the four virtual pages and the four
  // frames must be 16 KiB aligned. Assumed: "same attributes" means the permission bits
  // the model's PTEs carry (present, writable), not the accessed and dirty bits, which
  // hardware sets per PTE; no source found states it.
  pteCoalescing: 4,
  // Assumed: AMD documents a page directory cache but not its size on Zen 5 (Family 16h
  // had 16 entries, Software Optimization Guide 52128 §2.6.3). Zen 2+ also keep PDEs in
  // the L2 DTLB (WikiChip); the model keeps them apart so they cost no L2 capacity.
  pageWalkCaches: { pmd: { entries: 64, ways: 64 }, pud: { entries: 16, ways: 16 }, pgd: { entries: 4, ways: 4 } },
  // Bhargava et al., "Accelerating two-dimensional page walks for virtualized systems"
  // (ASPLOS 2008, AMD): a nested TLB caching guest-physical to host-physical
  // translations skips the host walk of the guest's page-table pages and of the final
  // guest-physical address, and page-walk caches keep the host's upper entries. None in
  // the model yet: AMD documents neither size for Zen 5, and the cost model's nested
  // parts (cost_parts.ts, cachedNestedRefs) already assume such caches on top of full
  // 2-D counts. A preset that sets them gets the simulated caches instead.
  nestedWalkCaches: { ntlb: null, pwc: null },
  // Assumed: ~7 cycles L2 DTLB hit; walk loads hit the 1 MiB L2 cache, 14 cycles on Zen 5
  // (Hot Chips 2024 gives the L2 as 1 MB 16-way; the latency is the common measurement).
  l2HitCycles: 7,
  walkBaseCycles: 4,
  walkRefCycles: 14,
  // Linux arch/x86/events/amd/core.c, amd_hw_cache_event_ids_f17h:
  // [C(DTLB)][C(OP_READ)][C(RESULT_MISS)] = 0xf045 /* L2 DTLB misses (PT walks) */.
  perfDtlbLoadMisses: { counts: "walks", event: "LsL1DTlbMiss umask 0xf0 (0xf045): L2 DTLB misses, loads and stores" },
};

/**
 * Intel Golden Cove / Raptor Cove P-core (Alder Lake, Raptor Lake, Sapphire Rapids).
 * The load DTLB grew from 64 to 96 entries in Golden Cove (cpunews.net, Alder Lake /
 * Golden Cove architecture analysis, page 5, in Chinese: the L1 data TLB went from 64
 * to 96 entries).
 */
export const GOLDEN_COVE: TlbPreset = {
  name: "golden-cove",
  description: "Intel Golden Cove / Raptor Cove: 96x4K + 32x2M load DTLB, 2048-entry shared STLB",
  // Intel 64 and IA-32 Architectures Optimization Reference Manual, Golden Cove TLB table:
  // load DTLB 4K 96 entries 6-way, 2M/4M 32 entries 4-way. 96 entries is confirmed above;
  // the ways are the manual's as recalled, not re-read here.
  l1: { entries: 96, ways: 6 },
  l1Huge: { entries: 32, ways: 4 },
  // Same manual: STLB 2048 entries shared by 4K and 2M/4M pages, 16-way (separate 1G
  // entries are not modelled: the simulator has no 1 GiB pages).
  l2: { entries: 2048, ways: 16 },
  l2HoldsHuge: true,
  // No PTE coalescing: Intel documents none (the SDM's TLB section, vol. 3 §4.10.2, knows
  // the paging structures' page sizes only), and the Alder Lake walk events
  // (tools/perf/pmu-events/arch/x86/alderlake/virtual-memory.json:
  // DTLB_LOAD_MISSES.WALK_COMPLETED_4K, _2M_4M, _1G) have no coalesced size.
  pteCoalescing: 1,
  // Assumed: Intel SDM vol. 3 §4.10.3 describes the paging-structure caches without
  // sizes; 32 PDE, 4 PDPTE and 2 PML4E entries are the sizes the MMU-cache literature
  // commonly uses for Intel cores (e.g. Bhattacharjee, "Large-reach memory management
  // unit caches", MICRO 2013), not vendor figures for Golden Cove.
  pageWalkCaches: { pmd: { entries: 32, ways: 4 }, pud: { entries: 4, ways: 4 }, pgd: { entries: 2, ways: 2 } },
  // Intel's EPT paging-structure caches (SDM vol. 3 §29.4.3) have no published sizes; none modelled.
  nestedWalkCaches: { ntlb: null, pwc: null },
  // Assumed: ~8 cycles STLB hit; walk loads hit the 1.25 MiB L2 cache at ~15 cycles.
  l2HitCycles: 8,
  walkBaseCycles: 4,
  walkRefCycles: 15,
  // Linux tools/perf/pmu-events/arch/x86/alderlake/virtual-memory.json: DTLB_LOAD_MISSES.
  // WALK_COMPLETED, "Counts completed page walks (all page sizes) caused by demand data
  // loads. This implies it missed in the DTLB and further levels of TLB."
  perfDtlbLoadMisses: { counts: "walks-on-loads", event: "DTLB_LOAD_MISSES.WALK_COMPLETED (0x0e12): walks on loads" },
};

/** Every preset by name. */
export const TLB_PRESETS: Readonly<Record<string, TlbPreset>> = {
  [ZEN5.name]: ZEN5,
  [GOLDEN_COVE.name]: GOLDEN_COVE,
};

/** The preset named `name`; throws RangeError naming the known presets otherwise. */
export function tlbPreset(name: string): TlbPreset {
  const preset = TLB_PRESETS[name];
  if (preset === undefined) {
    throw new RangeError(`Unknown TLB preset "${name}": expected one of ${Object.keys(TLB_PRESETS).join(", ")}`);
  }
  return preset;
}
