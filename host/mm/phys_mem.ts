/**
 * Physical memory: 2 MiB blocks of 512 base pages. Base pages are carved from partly
 * used blocks first, so whole free blocks stay available for huge pages; a block
 * becomes whole again when its last page is freed. An mTHP's run of 2^order pages is
 * split off the smallest free buddy that holds it (buddy.ts). A fraction of blocks is
 * fragmented at boot (one unmovable page each), which is what makes a PMD-sized
 * allocation fail; a smaller order fails only when no aligned run of it is free.
 *
 * Pfns at or above `totalPages` are not this memory's: a synthetic map (host/synth)
 * maps pfns far above any PhysMem, with no page behind them. Freeing or splitting
 * one is a no-op, so a collapse, zap or reclaim of synthetic pages frees nothing and
 * leaves the free counts alone, as it would for memory owned by someone else.
 */
import { BLOCK_ORDER, type BlockSlots, freeBuddyOrders, freeBuddyStart, smallestOrderFrom } from "./buddy.ts";

const PAGES_PER_BLOCK = 1 << BLOCK_ORDER;

/** The most memory the model holds: 8 TiB, pfns below 2^31, where synthetic maps' pfns start (host/synth/plan.ts). */
export const MAX_PHYS_BYTES = 2 ** 31 * 4096;

export interface PhysMemOptions {
  /** Total memory in bytes (a multiple of 2 MiB). */
  totalBytes: number;
  /** Fraction of 2 MiB blocks holding an unmovable page from boot, 0 to 1. */
  fragmentation: number;
  /** Seed that picks which blocks are fragmented. */
  seed: number;
}

/** A pool of base pages and 2 MiB blocks with page frame numbers. */
export class PhysMem {
  readonly totalPages: number;
  #used: Int32Array;
  #slots = new Map<number, BlockSlots>();
  #partial = new Set<number>();
  #whole: number[] = [];
  #pinned: Uint8Array;
  #freePages: number;

  constructor(o: PhysMemOptions) {
    const blocks = Math.floor(o.totalBytes / (PAGES_PER_BLOCK * 4096));
    if (!(blocks >= 1 && o.totalBytes % (PAGES_PER_BLOCK * 4096) === 0)) {
      throw new RangeError(`memory.totalBytes must be a positive multiple of 2 MiB, got ${o.totalBytes}`);
    }
    if (o.totalBytes > MAX_PHYS_BYTES) {
      throw new RangeError(`memory.totalBytes must be at most 8 TiB (${MAX_PHYS_BYTES}), got ${o.totalBytes}`);
    }
    if (!(o.fragmentation >= 0 && o.fragmentation <= 1)) {
      throw new RangeError(`memory.fragmentation must be from 0 to 1, got ${o.fragmentation}`);
    }
    this.totalPages = blocks * PAGES_PER_BLOCK;
    this.#used = new Int32Array(blocks);
    this.#pinned = new Uint8Array(blocks);
    this.#freePages = this.totalPages;
    let x = (o.seed >>> 0) || 1;
    // Block 0 is never handed out: pfn 0 stays free of meaning.
    this.#pin(0);
    // Pushed from the top down, so pop() hands out low blocks first.
    for (let b = blocks - 1; b >= 1; b--) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      if (x / 0x100000000 < o.fragmentation) this.#pin(b);
      else this.#whole.push(b);
    }
  }

  #pin(b: number): void {
    this.#pinned[b] = 1;
    this.#used[b] = 1;
    this.#freePages--;
    this.#slots.set(b, { bump: 1, free: [], buddies: -1 });
    this.#partial.add(b);
  }

  /** Free base pages. */
  get freePages(): number {
    return this.#freePages;
  }

  /** Whole free 2 MiB blocks. */
  get freeHugeBlocks(): number {
    return this.#whole.length;
  }

  /** Start allocating base pages from a whole free block: its number, or -1 when none is left. */
  #openWholeBlock(): number {
    const b = this.#whole.pop();
    if (b === undefined) return -1;
    this.#slots.set(b, { bump: 0, free: [], buddies: -1 });
    this.#partial.add(b);
    return b;
  }

  /** Allocate one base page; returns its pfn, or -1 when memory is exhausted. */
  allocPage(): number {
    let b = -1;
    for (const p of this.#partial) { b = p; break; }
    if (b < 0) b = this.#openWholeBlock();
    if (b < 0) return -1;
    const s = this.#slots.get(b)!;
    const slot = s.free.length > 0 ? s.free.pop()! : s.bump++;
    s.buddies = -1;
    if (++this.#used[b] === PAGES_PER_BLOCK) this.#partial.delete(b);
    this.#freePages--;
    return b * PAGES_PER_BLOCK + slot;
  }

  /**
   * Allocate 2^`order` base pages at naturally aligned, contiguous pfns (an mTHP folio
   * below the PMD order), as the buddy allocator's `__rmqueue_smallest()` does: split the
   * smallest free buddy of at least that order, over the partly used blocks, and open a
   * whole block only when none has one; the run is the lowest part of that buddy. The
   * pages are freed one by one with freePage(). Returns the head pfn, or -1 when no
   * aligned run of that size is free (the caller falls back to a smaller order).
   */
  allocOrder(order: number): number {
    let b = -1, bestOrder = BLOCK_ORDER;
    for (const p of this.#partial) {
      const s = this.#slots.get(p)!;
      if (s.buddies < 0) s.buddies = freeBuddyOrders(s);
      const c = smallestOrderFrom(s.buddies, order);
      if (c < bestOrder) {
        b = p;
        bestOrder = c;
        if (c === order) break;
      }
    }
    let start = 0;
    if (b >= 0) start = freeBuddyStart(this.#slots.get(b)!, bestOrder);
    else b = this.#openWholeBlock();
    if (b < 0) return -1;
    const s = this.#slots.get(b)!;
    const n = 1 << order, end = start + n;
    if (start < s.bump) s.free = s.free.filter((slot) => slot < start || slot >= end);
    if (end > s.bump) {
      // Slots skipped below the run stay free.
      for (let slot = s.bump; slot < start; slot++) s.free.push(slot);
      s.bump = end;
    }
    s.buddies = -1;
    this.#used[b] += n;
    if (this.#used[b] === PAGES_PER_BLOCK) this.#partial.delete(b);
    this.#freePages -= n;
    return b * PAGES_PER_BLOCK + start;
  }

  /** Whether `pfn` is one of this memory's pages (synthetic pfns lie above it). */
  backs(pfn: number): boolean {
    return pfn >= 0 && pfn < this.totalPages;
  }

  /** Free a base page; a pfn this memory does not back is ignored. */
  freePage(pfn: number): void {
    if (!this.backs(pfn)) return;
    const b = Math.floor(pfn / PAGES_PER_BLOCK);
    const s = this.#slots.get(b);
    if (!s) throw new RangeError(`Cannot free pfn 0x${pfn.toString(16)}: its block holds no base pages`);
    s.free.push(pfn % PAGES_PER_BLOCK);
    s.buddies = -1;
    this.#freePages++;
    if (--this.#used[b] === 0) {
      this.#partial.delete(b);
      this.#slots.delete(b);
      this.#whole.push(b);
    } else {
      this.#partial.add(b);
    }
  }

  /** Allocate a 2 MiB block; returns its head pfn, or -1 when no whole block is free. */
  allocHuge(): number {
    const b = this.#whole.pop();
    if (b === undefined) return -1;
    this.#used[b] = PAGES_PER_BLOCK;
    this.#freePages -= PAGES_PER_BLOCK;
    return b * PAGES_PER_BLOCK;
  }

  /** Free a whole 2 MiB block by its head pfn; a head this memory does not back is ignored. */
  freeHuge(head: number): void {
    if (!this.backs(head)) return;
    const b = head / PAGES_PER_BLOCK;
    this.#used[b] = 0;
    this.#freePages += PAGES_PER_BLOCK;
    this.#whole.push(b);
  }

  /**
   * Split a huge block into base pages that stay allocated (a PMD split keeps every
   * page in use); they are then freed one by one with freePage(). A head this memory
   * does not back is ignored.
   */
  splitHuge(head: number): void {
    if (!this.backs(head)) return;
    const b = head / PAGES_PER_BLOCK;
    this.#slots.set(b, { bump: PAGES_PER_BLOCK, free: [], buddies: -1 });
  }
}
