/**
 * The free buddies of a partly used 2 MiB block, as the buddy allocator's free lists
 * would hold them: a free buddy of order c is a naturally aligned run of 2^c free base
 * pages whose parent run (order c + 1) is not all free. PhysMem keeps base pages as a
 * bump pointer and a free list per block; this derives the buddies from them when an
 * mTHP allocation needs them.
 */

/** The order of a whole block (HPAGE_PMD_ORDER with 4 KiB pages). */
export const BLOCK_ORDER = 9;
const PAGES_PER_BLOCK = 1 << BLOCK_ORDER;

/**
 * A partly used block's base pages: slots below `bump` were handed out (those in `free`
 * were freed since), slots from `bump` up never were. `buddies` caches freeBuddyOrders(),
 * -1 when a change made it stale.
 */
export interface BlockSlots {
  bump: number;
  free: number[];
  buddies: number;
}

/** Per order c (0 … BLOCK_ORDER), one byte per aligned run of 2^c slots: 1 when every slot of it is free. */
function freeLevels(s: BlockSlots): Uint8Array[] {
  const free = new Uint8Array(PAGES_PER_BLOCK);
  free.fill(1, s.bump);
  for (const slot of s.free) free[slot] = 1;
  const levels = [free];
  for (let c = 1; c <= BLOCK_ORDER; c++) {
    const prev = levels[c - 1], cur = new Uint8Array(prev.length >> 1);
    for (let j = 0; j < cur.length; j++) cur[j] = prev[2 * j] & prev[2 * j + 1];
    levels.push(cur);
  }
  return levels;
}

/** The first free buddy of order `c` in `levels`, as its run index, or -1. */
function firstBuddy(levels: Uint8Array[], c: number): number {
  const run = levels[c], parent = levels[c + 1];
  for (let j = 0; j < run.length; j++) if (run[j] === 1 && parent[j >> 1] === 0) return j;
  return -1;
}

/** The orders of the free buddies a block holds, as a bitmask (bit c: order c). */
export function freeBuddyOrders(s: BlockSlots): number {
  const levels = freeLevels(s);
  let mask = 0;
  for (let c = 0; c < BLOCK_ORDER; c++) if (firstBuddy(levels, c) >= 0) mask |= 1 << c;
  return mask;
}

/** The smallest order of at least `order` in the mask `orders`, or BLOCK_ORDER when there is none. */
export function smallestOrderFrom(orders: number, order: number): number {
  const above = orders >>> order;
  return above === 0 ? BLOCK_ORDER : order + 31 - Math.clz32(above & -above);
}

/** The first slot of the block's lowest free buddy of order `c` (one freeBuddyOrders() reported). */
export function freeBuddyStart(s: BlockSlots, c: number): number {
  const j = firstBuddy(freeLevels(s), c);
  if (j < 0) throw new RangeError(`The block holds no free buddy of order ${c}`);
  return j << c;
}
