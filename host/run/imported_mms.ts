/** A scenario's `import:` snapshot as mms of the run's kernel (host/snapshot/import.ts). */
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { anonHugePagesKb } from "../mm/smaps.ts";
import { ScenarioError } from "../scenario/scenario_error.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";
import { importSnapshot, ImportRefusal } from "../snapshot/import.ts";

/**
 * The scenario's `import:` snapshot, written into `k` at time 0 after the generated map.
 * The Node loader reads the file into `scenario.imported`; a snapshot that does not fit
 * the core memory is a ScenarioError of the run naming the field.
 */
export function importedMms(k: Kernel, scenario: Scenario): Array<{ mm: Mm; initialAnonHugePagesKb: number }> {
  if (scenario.import === undefined) return [];
  if (scenario.imported === undefined) {
    throw new ScenarioError(scenario.name, "import", "was not read: a snapshot file is loaded by the Node CLI's scenario loader",
      { verb: "run" });
  }
  try {
    return importSnapshot(k, scenario.imported).map(({ mm }) => ({ mm, initialAnonHugePagesKb: anonHugePagesKb(mm) }));
  } catch (err) {
    if (!(err instanceof ImportRefusal)) throw err;
    throw new ScenarioError(scenario.name, "import", `cannot be imported: ${err.reason}`, { verb: "run", cause: err });
  }
}
