/**
 * The real kernel's THP sysfs for tests that change it: `withRealThp()` takes a lock file
 * that every such test (in any checkout on the machine) shares, saves the top-level and
 * every per-size `enabled`, runs its callback, and puts back every value that differs
 * (also when the callback throws), so that two test files never see each other's settings
 * and none is left changed.
 */
import { closeSync, existsSync, openSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const THP_DIR = "/sys/kernel/mm/transparent_hugepage";
const LOCK = join(tmpdir(), "khugesim-real-thp.lock");

/** The `enabled` files under THP_DIR: the top level and each `hugepages-<N>kB/enabled` this kernel has. */
export function thpEnabledFiles(): string[] {
  const sizes = existsSync(THP_DIR) ? readdirSync(THP_DIR).filter((d) => /^hugepages-\d+kB$/.test(d)) : [];
  // hugepages-8kB exists for the page cache and has no enabled file.
  return ["enabled", ...sizes.map((d) => `${d}/enabled`)].filter((f) => existsSync(join(THP_DIR, f)));
}

/** The bracketed choice of a THP sysfs file (path relative to THP_DIR). */
export function readThp(path: string): string {
  const m = /\[(\w+)\]/.exec(readFileSync(join(THP_DIR, path), "utf8"));
  if (!m) throw new Error(`${THP_DIR}/${path} shows no selected value`);
  return m[1];
}

/** A number from a THP sysfs file (`hugepages-<N>kB/stats/anon_fault_fallback`). */
export function readThpNumber(path: string): number {
  return Number(readFileSync(join(THP_DIR, path), "utf8"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take the real-THP lock, waiting for its holder (a lock whose holder has died is taken
 * over); resolves to its release. A suite whose real process lives across its tests holds
 * it throughout, so that no other test's settings reach the process (khugepaged too).
 */
export async function holdRealThp(): Promise<() => void> {
  await lock();
  return () => unlinkSync(LOCK);
}

async function lock(): Promise<void> {
  for (;;) {
    try {
      const fd = openSync(LOCK, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(LOCK, "utf8"));
    } catch { /* released meanwhile */ }
    // A holder that has not written its pid yet shows as 0: wait for it.
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      try { unlinkSync(LOCK); } catch { /* another waiter took it over first */ }
      continue;
    }
    await sleep(50);
  }
}

/**
 * Run `fn` holding the real-THP lock; `set(path, value)` writes a THP sysfs file (path
 * relative to THP_DIR). Every `enabled` file is put back as it was before `fn`.
 */
export async function withRealThp<T>(fn: (set: (path: string, value: string) => void) => Promise<T> | T): Promise<T> {
  const release = await holdRealThp();
  try {
    const saved = new Map(thpEnabledFiles().map((f) => [f, readThp(f)]));
    const set = (path: string, value: string) => {
      if (!saved.has(path)) throw new Error(`withRealThp() puts back only enabled files, not ${path}`);
      writeFileSync(join(THP_DIR, path), value);
    };
    const restore = () => {
      for (const [f, v] of saved) if (readThp(f) !== v) writeFileSync(join(THP_DIR, f), v);
    };
    // A worker that exits in the middle (a timeout's teardown) still puts the values back.
    process.once("exit", restore);
    try {
      return await fn(set);
    } finally {
      process.off("exit", restore);
      restore();
    }
  } finally {
    release();
  }
}
