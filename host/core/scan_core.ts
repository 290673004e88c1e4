/**
 * The interface every scan core implements (WASM scalar, WASM SIMD, the TypeScript
 * twin). Arguments are plain 32-bit numbers so that a WASM export is a core as it is.
 */
export interface ScanCore {
  readonly name: string;
  /**
   * Scan `count` PMDs whose directory entries start at `dir + 4 * first`, the first at
   * PMD number `pmdNo` (address >> 21), writing one record per PMD from `ring` on.
   * Thresholds are the sysfs values; MADV_COLLAPSE (no KHUGEPAGED flag) ignores them.
   * With SCAN_FLAG.MTHP_BITMAP it also writes one OCCUPANCY record per PMD from
   * `occupancy` on (layout.ts), its windows judged by `maxPtesNone` per order.
   */
  scanPmds(
    dir: number, first: number, count: number, pmdNo: number, maxPtesNone: number,
    maxPtesSwap: number, maxPtesShared: number, vmaFlags: number, scanFlags: number, ring: number,
    occupancy?: number,
  ): void;
  /** Run `__collapse_huge_page_isolate`'s checks over the PTE table at byte offset `table`. */
  isolatePmd(
    table: number, pmdNo: number, maxPtesNone: number, maxPtesShared: number, vmaFlags: number,
    scanFlags: number, rec: number,
  ): void;
}
