/**
 * The hash index and the LRU list of a wide (fully associative) TLB array, as the TLB
 * block lays them out (host/tlb/tlb_layout.ts): u16 index slots holding way + 1, linear
 * probing from a tag's home slot, each way's slot, and a circular doubly linked list of ways. Shared by
 * the TypeScript twin of the core and by TaskTlb's invalidation.
 */
import { INDEX_HASH } from "./tlb_layout.ts";

/** The home slot of `tag` in an index of `32 - shift` bits. */
export function homeSlot(tag: number, shift: number): number {
  return Math.imul(tag, INDEX_HASH) >>> shift;
}

/**
 * Probe the index at u16 offset `slots` (its ways' tags at u32 offset `tags`) for `tag`:
 * the slot holding its entry, or the empty slot where the probe ends, which is where
 * `tag` goes when it is added.
 */
export function probeSlot(u16: Uint16Array, u32: Uint32Array, slots: number, tags: number, tag: number, shift: number): number {
  const mask = -1 >>> shift;
  let s = homeSlot(tag, shift);
  while (u16[slots + s] !== 0 && u32[tags + u16[slots + s] - 1] !== tag) s = (s + 1) & mask;
  return s;
}

/**
 * Empty slot `hole` of the index at u16 offset `slots`, whose ways' tags start at u32
 * offset `tags`: later entries of the probe run move back into the hole (backward-shift
 * deletion), so a probe never meets a hole before its tag, and the slot each moved way
 * records (u32 at offset `slotOf` + way) follows it.
 */
export function deleteSlot(
  u16: Uint16Array, u32: Uint32Array, slots: number, tags: number, slotOf: number, hole: number, shift: number,
): void {
  const mask = -1 >>> shift;
  let i = hole;
  for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
    const e = u16[slots + j];
    if (e === 0) break;
    const k = homeSlot(u32[tags + e - 1], shift);
    // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
    if (((j - k) & mask) >= ((j - i) & mask)) {
      u16[slots + i] = e;
      u32[slotOf + e - 1] = i;
      i = j;
    }
  }
  u16[slots + i] = 0;
}

/**
 * Unlink `way` from the circular list (u16 links `prev` and `next` at u16 offsets `prevs`
 * and `nexts`) and link it back between `tail` (the LRU way) and `head` (the MRU way),
 * neither of which it is; the caller then makes it the new MRU or the new LRU way.
 */
export function relinkBetweenEnds(u16: Uint16Array, prevs: number, nexts: number, way: number, head: number, tail: number): void {
  const p = u16[prevs + way];
  const n = u16[nexts + way];
  u16[nexts + p] = n;
  u16[prevs + n] = p;
  u16[prevs + way] = tail;
  u16[nexts + way] = head;
  u16[nexts + tail] = way;
  u16[prevs + head] = way;
}
