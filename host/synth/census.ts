/**
 * A census of what page tables actually hold, read back from core memory: PMDs by kind
 * and pages by state. Each distinct PTE table is decoded once and weighted by the PMDs
 * that share it, so counting a terabyte map takes milliseconds.
 */
import { PMD, PMD_SIZE, PTE_TABLE_BYTES, PTES_PER_PMD } from "../core/layout.ts";
import {
  folioAnon, folioLocked, folioMaybeMappedShared, pteCleanLazyfree, pteNormal, ptePresent, pteReferenced, pteSwap,
} from "../core/pte.ts";
import type { Mm } from "../mm/mm.ts";
import type { PageState } from "./spec.ts";

export interface Census {
  pmds: number;
  /** PMDs mapped by a huge page, and PMDs without a PTE table. */
  hugePmds: number;
  nonePmds: number;
  /** PMDs with a PTE table, and the distinct tables among them. */
  tablePmds: number;
  distinctTables: number;
  /** PTEs of PTE-mapped PMDs by state; "none" is pte_none, "other" anything the generator does not make. */
  ptes: Record<PageState | "none" | "other", number>;
}

/** The state a PTE word is in, by the generator's definitions (pmd_class.ts). */
export function pteState(lo: number): PageState | "none" | "other" {
  if (lo === 0) return "none";
  if (!ptePresent(lo)) return pteSwap(lo) ? "swapped" : "other";
  if (!pteNormal(lo) || !folioAnon(lo)) return "other";
  if (folioLocked(lo)) return "locked";
  if (pteCleanLazyfree(lo)) return "lazyfree";
  if (folioMaybeMappedShared(lo)) return "shared";
  if (!pteReferenced(lo)) return "cold";
  return "normal";
}

/** Count what the VMAs of `mms` map, PMD by PMD (whole PMDs inside VMAs only). */
export function censusMaps(mms: readonly Mm[]): Census {
  const c: Census = {
    pmds: 0, hugePmds: 0, nonePmds: 0, tablePmds: 0, distinctTables: 0,
    ptes: { none: 0, normal: 0, cold: 0, swapped: 0, shared: 0, lazyfree: 0, locked: 0, other: 0 },
  };
  const weight = new Map<number, number>();
  let u32: Uint32Array | undefined;
  for (const mm of mms) {
    u32 = mm.pt.core.u32;
    for (const v of mm.vmas) {
      const first = Math.ceil(v.start / PMD_SIZE), end = Math.floor(v.end / PMD_SIZE);
      for (let pmdNo = first; pmdNo < end; pmdNo++) {
        c.pmds++;
        const e = mm.pt.entry(pmdNo);
        if (e === 0) c.nonePmds++;
        else if ((e & (PMD.HUGE | PMD.MIGRATION)) !== 0) c.hugePmds++;
        else {
          c.tablePmds++;
          const t = (e & PMD.INDEX_MASK) * PTE_TABLE_BYTES;
          weight.set(t, (weight.get(t) ?? 0) + 1);
        }
      }
    }
  }
  c.distinctTables = weight.size;
  for (const [t, n] of weight) {
    for (let i = 0, w = t >>> 2; i < PTES_PER_PMD; i++, w += 2) c.ptes[pteState(u32![w])] += n;
  }
  return c;
}
