/** Per-task figures in the style of /proc/PID/smaps_rollup, in kB. */
import { PTE_TABLE_BYTES } from "../core/layout.ts";
import { folioOrder, pteCleanLazyfree, pteNormal, ptePresent, pteSwap } from "../core/pte.ts";
import { PMD_ORDER } from "../kernel/thp_sizes.ts";
import type { HugePmd, Mm } from "./mm.ts";
import { entryTable } from "./page_table.ts";
import { pteWord } from "./pte_ops.ts";

export interface SmapsRollup {
  Rss: number;
  AnonHugePages: number;
  LazyFree: number;
  Swap: number;
}

/** What the entries of one PTE table map, in 4 KiB pages. */
export interface TableCounts {
  /** Normal pages (present, not the zero page), lazy-free ones included. */
  normal: number;
  /** Normal pages that are lazy-free and clean (smaps' LazyFree). */
  lazy: number;
  /** Swap entries. */
  swapped: number;
  /** Normal pages of mTHPs: folios above 4 KiB and below the PMD size, mapped by PTEs. */
  mthp: number;
}

/**
 * TableCounts by table offset. A synthetic map's alike PMDs share a table: with a
 * cache, each table is read once. Valid only while no PTE changes.
 */
export type TableCache = Map<number, TableCounts>;

/**
 * smaps_rollup's AnonHugePages alone: PMD-mapped THPs only, so no PTE table is read
 * (cheap on a terabyte synthetic map).
 */
export function anonHugePagesKb(mm: Mm): number {
  return mm.huge.size * 2048;
}

/** Whether smaps counts the THP `h` as LazyFree (smaps_account()): not swap-backed, and clean. */
export function isLazyfreeHuge(h: HugePmd): boolean {
  return !h.swapbacked && !h.dirty;
}

/**
 * Walk the mm's page tables and sum what smaps_rollup reports. `byTable` may be shared
 * with pmdMap() of the same unchanged mm.
 */
export function smapsRollup(mm: Mm, byTable: TableCache = new Map()): SmapsRollup {
  const huge = anonHugePagesKb(mm);
  const out: SmapsRollup = { Rss: huge, AnonHugePages: huge, LazyFree: 0, Swap: 0 };
  for (const h of mm.huge.values()) if (isLazyfreeHuge(h)) out.LazyFree += 2048;
  const memo = new CountsMemo(mm.pt.core.u32, byTable), entries = mm.pt.entries();
  for (let i = 0; i < entries.length; i++) {
    const t = entryTable(entries[i]);
    if (t === 0) continue;
    const c = memo.get(t);
    out.Rss += c.normal * 4;
    out.LazyFree += c.lazy * 4;
    out.Swap += c.swapped * 4;
  }
  return out;
}

/**
 * tableCounts() behind a small direct-mapped memo: a terabyte synthetic map's PMDs
 * alternate between a few hundred shared tables, too often for a Map lookup per PMD.
 */
export class CountsMemo {
  readonly #u32: Uint32Array;
  readonly #cache: TableCache | undefined;
  readonly #keys = new Float64Array(1024);
  readonly #counts: TableCounts[] = [];

  constructor(u32: Uint32Array, cache?: TableCache) {
    this.#u32 = u32;
    this.#cache = cache;
  }

  /** The counts of the table at byte offset `t` (not 0). */
  get(t: number): TableCounts {
    const slot = (t / PTE_TABLE_BYTES) & 1023;
    if (this.#keys[slot] === t) return this.#counts[slot];
    const c = tableCounts(this.#u32, t, this.#cache);
    this.#keys[slot] = t;
    this.#counts[slot] = c;
    return c;
  }
}

/** Count what the PTE table at byte offset `t` maps, through `cache` if given. */
export function tableCounts(u32: Uint32Array, t: number, cache?: TableCache): TableCounts {
  let c = cache?.get(t);
  if (c) return c;
  c = { normal: 0, lazy: 0, swapped: 0, mthp: 0 };
  for (let j = 0; j < 512; j++) {
    const lo = u32[pteWord(t, j)];
    if (lo === 0) continue;
    if (!ptePresent(lo)) {
      if (pteSwap(lo)) c.swapped++;
      continue;
    }
    // The zero page is not counted in Rss.
    if (!pteNormal(lo)) continue;
    c.normal++;
    // smaps_account(): anonymous, not swap-backed, and clean. A lazy-free page written
    // again is dirty and no longer free to drop, though its folio stays !swapbacked.
    if (pteCleanLazyfree(lo)) c.lazy++;
    const order = folioOrder(lo);
    if (order > 0 && order < PMD_ORDER) c.mthp++;
  }
  cache?.set(t, c);
  return c;
}
