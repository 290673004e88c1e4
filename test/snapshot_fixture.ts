/** Snapshots built in a test: the captured fields every test leaves at their defaults. */
import type { Snapshot, SnapshotProcess, SnapshotVma } from "../host/snapshot/snapshot.ts";

/** A snapshot of `processes` as a root capture without page_idle would record it. */
export function snapshotOf(processes: SnapshotProcess[]): Snapshot {
  return {
    kernel: "Linux test", capturedAt: "2026-01-01T00:00:00.000Z", idleWaitS: 0,
    sources: { pagemap: true, pfns: true, kpageflags: true, pageIdle: false }, missing: [], thp: { enabled: "always" },
    processes,
  };
}

/** A private anonymous read-write VMA at `start` whose pages have the given flags (order 0). */
export function anonVma(start: number, flags: ArrayLike<number>, vmFlags: string[] = ["rd", "wr"]): SnapshotVma {
  return {
    start, end: start + flags.length * 4096, perms: "rw-p", offset: 0, dev: "00:00", inode: 0, path: "", vmFlags,
    smaps: {}, pages: { flags: Uint16Array.from(flags), order: new Uint8Array(flags.length) },
  };
}
