/**
 * One mm's page tables in core memory: a PMD directory (a u32 per 2 MiB, see
 * layout.ts) covering the mm's address range, and 4 KiB PTE tables for the PMDs that
 * have one. PTE tables may be shared between PMDs (a synthetic map stores alike PMDs
 * once); a write through `writableTable` copies a shared table first.
 */
import type { CoreMemory } from "../core/core_memory.ts";
import { PMD, PTE_TABLE_BYTES } from "../core/layout.ts";

/** How many PMD entries share each shared PTE table, by table offset; absent means one. */
export type TableShares = Map<number, number>;

/** Byte offset of the PTE table a directory entry points to, or 0 when it has none or is huge. */
export function entryTable(e: number): number {
  return e === 0 || (e & (PMD.HUGE | PMD.MIGRATION)) !== 0 ? 0 : (e & PMD.INDEX_MASK) * PTE_TABLE_BYTES;
}

export class PageTable {
  readonly core: CoreMemory;
  /** Byte offset of the directory in core memory. */
  dir = 0;
  /** PMD number (address >> 21) of directory entry 0. */
  basePmd = 0;
  /** Entries in the directory. */
  length = 0;
  #shares: TableShares;
  /**
   * Told a PMD's number before its entry or PTEs change (setEntry, writableTable, touch),
   * so that a frame of a run reads only the PMDs that changed (run/task_map.ts); null: nobody listens.
   */
  onChange: ((pmdNo: number) => void) | null = null;

  constructor(core: CoreMemory, shares: TableShares) {
    this.core = core;
    this.#shares = shares;
  }

  /** Grow the directory so that it covers PMDs [first, end). */
  cover(first: number, end: number): void {
    if (this.length === 0) {
      this.basePmd = first;
    } else if (first >= this.basePmd && end <= this.basePmd + this.length) {
      return;
    }
    const base = Math.min(first, this.length === 0 ? first : this.basePmd);
    const top = Math.max(end, this.basePmd + this.length);
    const cap = Math.max(top - base, this.length * 2);
    const dir = this.core.alloc(cap * 4, 64);
    const u32 = this.core.u32;
    if (this.length > 0) u32.copyWithin((dir >>> 2) + (this.basePmd - base), this.dir >>> 2, (this.dir >>> 2) + this.length);
    this.dir = dir;
    this.basePmd = base;
    this.length = cap;
  }

  /** The directory entry of PMD `pmdNo` (0 outside the directory). */
  entry(pmdNo: number): number {
    const i = pmdNo - this.basePmd;
    return i >= 0 && i < this.length ? this.core.u32[(this.dir >>> 2) + i] : 0;
  }

  /** Set the directory entry of a covered PMD. */
  setEntry(pmdNo: number, value: number): void {
    this.onChange?.(pmdNo);
    const i = pmdNo - this.basePmd;
    if (!(i >= 0 && i < this.length)) throw new RangeError(`PMD 0x${pmdNo.toString(16)} is outside the page table`);
    this.core.u32[(this.dir >>> 2) + i] = value >>> 0;
  }

  /** Byte offset of the PMD's PTE table, or 0 when it has none or is huge. */
  table(pmdNo: number): number {
    return entryTable(this.entry(pmdNo));
  }

  /**
   * The directory's entries, entry 0 for `basePmd`: one view for a walk over every PMD
   * (reading core memory's buffer per PMD costs more than the walk). Valid until the
   * directory or core memory grows.
   */
  entries(): Uint32Array {
    return this.core.u32.subarray(this.dir >>> 2, (this.dir >>> 2) + this.length);
  }

  /** The PMD's own PTE table, allocated if missing and copied first if shared. */
  writableTable(pmdNo: number): number {
    this.onChange?.(pmdNo);
    const e = this.entry(pmdNo);
    if ((e & (PMD.HUGE | PMD.MIGRATION)) !== 0) throw new RangeError(`PMD 0x${pmdNo.toString(16)} maps a huge page`);
    if (e === 0) {
      const t = this.core.allocTable();
      this.setEntry(pmdNo, t / PTE_TABLE_BYTES);
      return t;
    }
    const t = (e & PMD.INDEX_MASK) * PTE_TABLE_BYTES;
    const n = this.#shares.get(t);
    if (n === undefined) return t;
    const copy = this.core.allocTable();
    const u32 = this.core.u32;
    u32.copyWithin(copy >>> 2, t >>> 2, (t + PTE_TABLE_BYTES) >>> 2);
    if (n === 2) this.#shares.delete(t);
    else this.#shares.set(t, n - 1);
    this.setEntry(pmdNo, copy / PTE_TABLE_BYTES);
    return copy;
  }

  /**
   * The PMD's PTE table for writing, copied first if shared, or 0 when it has none or
   * is huge (nothing is allocated then). System calls that change the PTEs a table
   * already holds use this; reads go through `table`.
   */
  writableTableIfAny(pmdNo: number): number {
    return this.table(pmdNo) === 0 ? 0 : this.writableTable(pmdNo);
  }

  /** Low word of PTE `i` of PMD `pmdNo` (host/core/pte.ts reads it): 0, `pte_none`, when the PMD has no table. */
  pte(pmdNo: number, i: number): number {
    const t = this.table(pmdNo);
    return t === 0 ? 0 : this.core.u32[(t >>> 2) + 2 * i];
  }

  /** Page frame number (high word) of PTE `i` of PMD `pmdNo`; 0 when the PMD has no table. */
  ptePfn(pmdNo: number, i: number): number {
    const t = this.table(pmdNo);
    return t === 0 ? 0 : this.core.u32[(t >>> 2) + 2 * i + 1];
  }

  /** Set PTE `i` of PMD `pmdNo` to `lo` and `pfn`, in the PMD's own table (`writableTable`). */
  setPte(pmdNo: number, i: number, lo: number, pfn: number): void {
    const w = (this.writableTable(pmdNo) >>> 2) + 2 * i;
    this.core.u32[w] = lo >>> 0;
    this.core.u32[w + 1] = pfn >>> 0;
  }

  /** Say that PMD `pmdNo` is about to change in a way no write here shows: a huge PMD's folio flags. */
  touch(pmdNo: number): void {
    this.onChange?.(pmdNo);
  }

  /** Point PMD `pmdNo` at an existing table as one more sharer. */
  shareTable(pmdNo: number, table: number): void {
    this.#shares.set(table, (this.#shares.get(table) ?? 1) + 1);
    this.setEntry(pmdNo, table / PTE_TABLE_BYTES);
  }

  /** Drop the PMD's PTE table (freeing it when no other PMD shares it) and clear the entry. */
  dropTable(pmdNo: number): void {
    const t = this.table(pmdNo);
    if (t !== 0) {
      const n = this.#shares.get(t);
      if (n === undefined) this.core.freeTable(t);
      else if (n === 2) this.#shares.delete(t);
      else this.#shares.set(t, n - 1);
    }
    this.setEntry(pmdNo, 0);
  }
}
