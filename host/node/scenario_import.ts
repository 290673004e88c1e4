/**
 * Snapshots in scenarios: a scenario's `import:` file read into `scenario.imported`, and a
 * snapshot file run on its own (`khugesim run n.khs`) as a scenario that imports it.
 */
import { basename, dirname, resolve } from "node:path";
import { validateScenario, type Scenario, ScenarioError } from "../scenario/mod.ts";
import { placeVmas } from "../snapshot/import.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { PMD_SIZE, vmaHend, vmaHstart } from "../mm/vma.ts";
import { defaultTunables } from "../kernel/tunables.ts";
import { readSnapshotFile, SnapshotFileError } from "./snapshot_file.ts";

/**
 * Simulated seconds for two full khugepaged scans of `s` at the default tunables: each
 * wake-up scans pages_to_scan pages, then sleeps scan_sleep_millisecs. A PMD that maps
 * something is charged 512 pages, an empty one 1, as are the VMAs themselves; a scan
 * that stops early on a result costs less, so this is an upper estimate.
 */
export function twoFullScansS(s: Snapshot): number {
  const { pages_to_scan, scan_sleep_millisecs } = defaultTunables().khugepaged;
  let pages = 0;
  for (const p of s.processes) {
    for (const v of placeVmas(p)) {
      const range = { start: v.start, end: v.end, flags: 0, anonVma: true };
      const first = vmaHstart(range), end = vmaHend(range);
      pages += 1;
      for (let addr = first; addr < end; addr += PMD_SIZE) {
        const f = v.snap.pages?.flags.subarray((addr - v.start) / 4096, (addr - v.start + PMD_SIZE) / 4096);
        pages += f !== undefined && f.some((x) => x !== 0) ? 512 : 1;
      }
    }
  }
  const wakeups = Math.ceil(pages / pages_to_scan) + 1;
  return Math.max(60, 2 * wakeups * (scan_sleep_millisecs / 1000));
}

/** The scenario `khugesim run n.khs` runs: the snapshot imported, no tasks, at least two full scans long. */
export async function snapshotScenario(path: string): Promise<Scenario> {
  const snapshot = await readSnapshotFile(path);
  const scenario = validateScenario({ name: basename(path), import: path, durationS: twoFullScansS(snapshot) }, path);
  return { ...scenario, imported: snapshot };
}

/** Read a scenario's `import:` file (relative to the scenario file's folder) into `imported`. */
export async function withImport(scenario: Scenario, source: string, scenarioPath: string | undefined): Promise<Scenario> {
  if (scenario.import === undefined) return scenario;
  const path = resolve(scenarioPath === undefined ? "." : dirname(scenarioPath), scenario.import);
  try {
    return { ...scenario, imported: await readSnapshotFile(path) };
  } catch (err) {
    if (err instanceof SnapshotFileError) throw new ScenarioError(source, "import", `"${scenario.import}": ${err.reason}`, { cause: err });
    throw err;
  }
}
