/**
 * The interface both TLB cores implement (the WASM export and the TypeScript twin).
 * Arguments are byte offsets into the shared core memory, so a WASM export is a core
 * as it is.
 */
export interface TlbCore {
  readonly name: string;
  /**
   * Simulate `count` (< 2^32) accesses of the stream block at `stream` through the TLB
   * block at `tlb`, overwrite the counter block at `out`, and advance the stream's
   * cursor and PRNG in place.
   */
  tlbRun(tlb: number, stream: number, count: number, out: number): void;
}
