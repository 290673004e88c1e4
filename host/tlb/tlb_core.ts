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

/** The WASM core's `tlbRun` export as a TlbCore. */
export function wasmTlbCore(exports: WebAssembly.Exports): TlbCore {
  const tlbRun = exports.tlbRun;
  if (typeof tlbRun !== "function") {
    throw new TypeError('Cannot load the WASM TLB core: export "tlbRun" is missing; rebuild with npm run build');
  }
  return { name: "wasm", tlbRun: tlbRun as TlbCore["tlbRun"] };
}
