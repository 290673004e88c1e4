// The WASM core: the PMD scan and the TLB access loop.
export * from "./scan";
export * from "./tlb";
