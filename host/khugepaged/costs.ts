/**
 * Simulated time that khugepaged's own work takes, so that trace timestamps advance
 * within a pass and the next wake-up comes `scan_sleep_millisecs` after the pass
 * ends, as in the kernel. Rough figures for a current x86-64 core.
 */
/** Examining one PTE: about 9 cycles at 4 GHz. */
export const SCAN_NS_PER_PTE = 2;
/** Visiting an mm or deciding a PMD from its entry alone. */
export const SCAN_NS_PER_VISIT = 100;
/** One collapse: allocate, isolate, copy 2 MiB at about 10 GB/s, map. */
export const COLLAPSE_NS = 250_000;
