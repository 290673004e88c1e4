/**
 * The parts cost model's machines (cost_parts.ts): every parameter and its source, in one
 * file. A preset names a machine; a scenario picks one with `machine.costPreset`, or passes
 * the preset file `khugesim calibrate` wrote (cost_preset_schema.ts checks it).
 *
 * Cycles are taken as TSC ticks throughout: the paper's TSC (4.29 GHz, cost_model.ts) is
 * about its cores' clock. On this guest's EPYC the TSC runs at 2.596 GHz (dmesg "tsc:
 * Detected 2596.098 MHz") while the cores boost higher, so the cache latencies below, given
 * in core cycles, are in ticks only up to a scale; the fitted mlp absorbs it.
 */
import { accessSeconds, BARE_METAL, type CostModel, SEED_ACCESSES, SEED_ROWS, type SeedRow, walksPerAccess } from "./cost_model.ts";

/** A machine.virtualization value (virtualization.ts). */
export type VirtualizationName = "none" | "nested-4k" | "nested-2m" | "nested-1g";

/** Cache sizes and latencies of a core, in cycles (taken as TSC ticks). */
export interface CacheLevels {
  readonly l1Bytes: number;
  readonly l2Bytes: number;
  readonly l3Bytes: number;
  readonly l2Cycles: number;
  readonly l3Cycles: number;
  readonly dramCycles: number;
}

/**
 * AMD Zen 5. Chips and Cheese, "AMD's Ryzen 9950X: Zen 5 on Desktop": 48 KiB of L1D and 1 MiB L2 per core and
 * 32 MiB of L3 shared by each CCD's cores (this guest's lscpu shows the same: 48 KiB L1D,
 * 1 MiB L2 per core, one 32 MiB L3). L2 latency 14 cycles as in presets.ts (assumed there
 * too); L3 about 50 cycles, assumed (the usual figure for desktop Zen 4/5; no vendor source
 * in reach states it). DRAM: 177 ticks (68 ns), measured on this guest by an earlier session
 * with access_cost.c's latency loop (ZEN5_KVM_CACHES below has this guest's own latencies).
 */
export const ZEN5_CACHES: CacheLevels = {
  l1Bytes: 48 << 10, l2Bytes: 1 << 20, l3Bytes: 32 << 20, l2Cycles: 14, l3Cycles: 50, dramCycles: 177,
};

/**
 * Intel Golden Cove (Alder Lake P-core). Chips and Cheese, "Alder Lake's Caching and Power
 * Efficiency": 48 KB of L1D and 1280 KB of L2 per core and 30 MB of L3 shared (the Core i9-12900K). L2
 * latency 15 cycles, assumed (the figure commonly reported; no vendor source in reach); L3
 * and DRAM latencies are Zen 5's, assumed likewise.
 */
export const GOLDEN_COVE_CACHES: CacheLevels = {
  l1Bytes: 48 << 10, l2Bytes: 1.25 * (1 << 20), l3Bytes: 30 << 20, l2Cycles: 15, l3Cycles: 50, dramCycles: 177,
};

/** A cost model's largest error on points held out of its fit, on cycles and on throughput. */
export interface ErrorBand {
  readonly cycles: number;
  readonly throughput: number;
  /** Which points were held out. */
  readonly heldOut: string;
}

/** A machine for the parts model: its caches, MMU and fitted parameters, with their error. */
export interface CostPreset {
  readonly name: string;
  readonly description: string;
  /** The MMU the TLB simulation runs under, unless the scenario's machine.virtualization says. */
  readonly virtualization: VirtualizationName;
  readonly caches: CacheLevels;
  /**
   * Ticks of an access that takes no page walk and misses no last-level cache, by access
   * pattern (random: uniform, hot and zipf; stride: sequential). Without `stride`, a
   * sequential phase takes the random base.
   */
  readonly base: { readonly random: number; readonly stride?: number };
  /** Walk loads an out-of-order core overlaps (the walk part's divisor); Infinity: walks hidden behind cache misses. */
  readonly mlp: number;
  /**
   * Data loads beyond the L1 an out-of-order core overlaps (the data part's divisor,
   * cost_parts.ts dataCycles()); Infinity where one buffer size was measured: the data part
   * is in `base`.
   */
  readonly dataMlp: number;
  /** Bytes of the L3 this machine's loads find (caches.l3Bytes, or less where other tenants share it). */
  readonly l3EffectiveBytes: number;
  /**
   * Share of the L3's sets a page-aligned line can go to, for the page stride's lines
   * (cost_parts.ts, Sweep); undefined: 1, all of them.
   */
  readonly strideL3SetShare?: number;
  readonly tscHz: number;
  /** Wall seconds per access outside the timed loads (the seed's rand() offsets). */
  readonly offsetSecondsPerAccess: number;
  readonly error: ErrorBand;
  /** Where each parameter comes from and on which points it was fitted. */
  readonly sources: string;
}

/**
 * The parts model on the paper's machine, fitted on the paper's two "without" rows (bare
 * metal and KVM guest, the guest on 2 MiB host pages) with their page tables in the L2 and
 * a walk of 1 load bare and 2 nested (cost_parts.ts, phaseBRefsPerWalk): base 1.615 ticks,
 * mlp 3.638. The "with" rows are held out. Equal to what calibrate() fits on the paper's
 * group, without simulating.
 */
export const ZEN5_PARTS: { readonly base: number; readonly mlp: number } = (() => {
  const cycles = (row: SeedRow, refs: number) => walksPerAccess(row) * refs * ZEN5_CACHES.l2Cycles;
  const bare = cycles(SEED_ROWS.bareMetal.without, 1);
  const guest = cycles(SEED_ROWS.kvmGuest.without, 2);
  const perCycle = (SEED_ROWS.kvmGuest.without.ticksPerAccess - SEED_ROWS.bareMetal.without.ticksPerAccess) / (guest - bare);
  return { base: SEED_ROWS.bareMetal.without.ticksPerAccess - bare * perCycle, mlp: 1 / perCycle };
})();

/** Seed-program figures of the paper's machine: TSC rate and offset time (cost_model.ts). */
const PAPER_CLOCK = { tscHz: BARE_METAL.tscHz, offsetSecondsPerAccess: BARE_METAL.offsetSecondsPerAccess };

/**
 * The paper fit as a cost line for walks of `refs` loads at L2 latency, with the seed
 * program's TSC rate and offset time (the bare-metal rows').
 */
export function paperLine(refs: number): CostModel {
  return { ...BARE_METAL, baseTicks: ZEN5_PARTS.base, ticksPerWalk: (refs * ZEN5_CACHES.l2Cycles) / ZEN5_PARTS.mlp };
}

/**
 * The paper fit's error on its held-out row `row` (a walk of `refs` loads): on ticks per
 * access, and on throughput with the seed program's TSC rate and offset time.
 */
function paperBand(row: SeedRow, refs: number, heldOut: string): ErrorBand {
  const walks = walksPerAccess(row);
  const line = paperLine(refs);
  const ticks = line.baseTicks + line.ticksPerWalk * walks;
  return {
    cycles: Math.abs(ticks / row.ticksPerAccess - 1),
    throughput: Math.abs(row.totalSeconds / accessSeconds(line, SEED_ACCESSES, walks) - 1),
    heldOut,
  };
}

const PAPER_SOURCES = "base and mlp fitted on the paper's bare-metal and KVM-guest \"without\" rows " +
  "(spec/seed-experiment.md); the paper measured one buffer size (128 MiB), so its data part is in base (dataMlp Infinity)";

/** The paper's bare-metal machine: Zen 5, 4.29 GHz TSC. */
export const ZEN5_BARE: CostPreset = {
  name: "zen5-bare",
  description: "AMD Zen 5, bare metal (the paper's machine)",
  virtualization: "none",
  caches: ZEN5_CACHES,
  base: { random: ZEN5_PARTS.base },
  mlp: ZEN5_PARTS.mlp,
  dataMlp: Infinity,
  l3EffectiveBytes: ZEN5_CACHES.l3Bytes,
  ...PAPER_CLOCK,
  error: paperBand(SEED_ROWS.bareMetal.with, 1, "the paper's bare-metal \"with\" row"),
  sources: PAPER_SOURCES,
};

/** The paper's KVM guest, whose walks with the patches (0.0098 per access) splintered THPs could not give. */
export const ZEN5_KVM_2M: CostPreset = {
  ...ZEN5_BARE,
  name: "zen5-kvm-2m",
  description: "AMD Zen 5, KVM guest on 2 MiB host pages (the paper's guest)",
  virtualization: "nested-2m",
  error: paperBand(SEED_ROWS.kvmGuest.with, 2, "the paper's KVM-guest \"with\" row"),
};

/**
 * This guest's caches: Zen 5's sizes, and latencies in its TSC ticks (2.596 GHz) measured by
 * access_cost.c's latency loop (every line of a buffer, a page's 64 lines together in random
 * order, each load the address of the next) over a buffer each level holds, the least
 * disturbed of 9 runs in bench/results/zen5_kvm_4k_fit.json: L2 over 512 KiB (a tenth of it
 * from the L1), L3 over 8 MiB, DRAM over 512 MiB (one page walk per 64 loads). The L1 over
 * 32 KiB took 2.40 ticks, Zen 5's 4-cycle load-to-use at a core clock 1.67 times the TSC's;
 * at that ratio the L2 is 10 cycles and the L3 21, below the 14 and about 50 cycles cited for
 * desktop Zen 5: the loop's lines of one page let the prefetchers fetch ahead. They are the
 * latencies phase B's loads see here.
 */
export const ZEN5_KVM_CACHES: CacheLevels = { ...ZEN5_CACHES, l2Cycles: 6.0501, l3Cycles: 12.3091, dramCycles: 123.3207 };

/**
 * This machine: a KVM guest on an AMD EPYC (Zen 5, family 26) whose host backs it with 4 KiB
 * pages (README, cost model: its THPs are splintered, as a chase over one 2 MiB THP shows).
 * Fitted by calibrate() on bench/results/zen5_kvm_4k_fit.json (9 runs of each loop
 * interleaved, each run's median round, the least disturbed run taken; load average 2.7-2.9):
 * the random base mostly on phase B over 32 KiB (L1, no walk); dataMlp, mlp and the L3 this
 * guest's loads find (7.5 of the CCD's 32 MiB: the host's other tenants share it) on phase B
 * over 8 and 32 MiB of THPs, 128 MiB of 4 KiB pages and 512 MiB of THPs; the stride base and
 * the share of the L3's sets a page stride's lines find (15/64: a page-aligned line's set is
 * chosen by the bits above the page offset and Zen's hash of them, so it gets some of the
 * sets; a stride whose lines are spread over the page's 64 offsets reaches DRAM only past
 * 512 MiB, the page-aligned one from 160 MiB: README, cost model) on the page stride over 8
 * MiB of THPs, 128 and 256 MiB of 4 KiB pages and 512 MiB of THPs. Held out: phase B over 128
 * MiB of THPs, 2 MiB, 512 KiB, 8 and 32 MiB of 4 KiB pages, and the stride over 128 MiB of
 * THPs and 8 and 512 MiB of 4 KiB pages. Its band is the largest error on all its points
 * (10.1 %, phase B over 128 MiB of 4 KiB pages, a fitted point) plus 5.7 %, the largest gap
 * in that measurement between a point's least disturbed run and its next, since a fresh
 * measurement is one more such run.
 */
export const ZEN5_KVM_4K: CostPreset = {
  name: "zen5-kvm-4k",
  description: "AMD Zen 5 (EPYC), KVM guest on 4 KiB host pages (this project's machines)",
  virtualization: "nested-4k",
  caches: ZEN5_KVM_CACHES,
  base: { random: 0.7249, stride: 23.2685 },
  mlp: 6.2902,
  dataMlp: 8.8783,
  l3EffectiveBytes: 7.5 * (1 << 20),
  strideL3SetShare: 15 / 64,
  tscHz: 2_596_098_000,
  offsetSecondsPerAccess: PAPER_CLOCK.offsetSecondsPerAccess,
  error: {
    cycles: 0.15890,
    throughput: 0.09375,
    heldOut: "this machine's points (held out: local-random thp, local-random thp 2 MiB, local-random 4k 512 KiB, " +
      "local-random 4k 8 MiB, local-random 4k 32 MiB, local-stride thp, local-stride 4k 8 MiB, local-stride 4k 512 MiB; " +
      "the rest fitted, with their residuals): model ±10.1 % plus the runs' scatter ±5.7 %",
  },
  sources: "cache sizes as zen5-bare, latencies measured here (ZEN5_KVM_CACHES); base (random: phase B over 32 KiB; " +
    "stride: the page stride over 8 to 512 MiB), dataMlp, mlp and l3EffectiveBytes (phase B over 8, 32, 128 and 512 MiB) " +
    "and strideL3SetShare (the page stride over 128 to 512 MiB) fitted on this machine (bench/results/zen5_kvm_4k_fit.json); " +
    "TSC rate from dmesg; offset time the paper's",
};

/**
 * Intel Golden Cove on bare metal. No Golden Cove measurement is in reach: its caches are
 * cited above, its base and mlp are the paper's Zen 5 fit, so its error is not measured and
 * the band is zen5-bare's, borrowed.
 */
export const GOLDEN_COVE_BARE: CostPreset = {
  ...ZEN5_BARE,
  name: "golden-cove-bare",
  description: "Intel Golden Cove, bare metal (Zen 5's fit on Golden Cove's caches; unmeasured)",
  caches: GOLDEN_COVE_CACHES,
  l3EffectiveBytes: GOLDEN_COVE_CACHES.l3Bytes,
  error: { ...ZEN5_BARE.error, heldOut: "no Golden Cove point (zen5-bare's band, borrowed)" },
  sources: `caches: Chips and Cheese's Alder Lake article, latencies assumed; ${PAPER_SOURCES}; not measured on Golden Cove`,
};

/** The built-in presets by name. */
export const COST_PRESETS: Readonly<Record<string, CostPreset>> = Object.fromEntries(
  [ZEN5_BARE, ZEN5_KVM_2M, ZEN5_KVM_4K, GOLDEN_COVE_BARE].map((p) => [p.name, p]),
);
