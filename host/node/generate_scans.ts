/**
 * The scans `generate --scan` runs: every variant asked for × every combination of swept
 * tunable values, the worker threads, and the options that need --scan refused without it.
 */
import { firstRepeated } from "../core/first_repeated.ts";
import type { FullScanConfig } from "../fullscan/full_scan.ts";
import { defaultTunables, TunableError, writeTunable } from "../kernel/tunables.ts";
import { VARIANTS } from "../kernel/variants/mod.ts";
import { SWEEPABLE, type Sweepable } from "../report/full_scan_report.ts";
import { type GenerateFlags, integer } from "./generate_flags.ts";
import { parseVariants, UsageError } from "./usage.ts";

/** --variants, or every variant when it is not given. */
function variantsOf(f: Pick<GenerateFlags, "variants">): string[] {
  return f.variants === undefined ? [...VARIANTS.keys()] : parseVariants(f.variants);
}

/** One --sweep TUNABLE=V1,V2,…: the tunable and its values, each one sysfs would take. */
function sweepOf(sweep: string): [Sweepable, number[]] {
  const m = /^([a-z_]+)=([0-9,]+)$/.exec(sweep);
  const values = m ? m[2].split(",").filter((s) => s !== "").map((v) => integer(v, "--sweep")) : [];
  if (!m || !(SWEEPABLE as readonly string[]).includes(m[1]) || values.length === 0) {
    const tunables = SWEEPABLE.join(", ");
    throw new RangeError(`--sweep must be TUNABLE=V1,V2,… with TUNABLE one of ${tunables}, got "${sweep}"`);
  }
  const twice = firstRepeated(values);
  if (twice !== undefined) throw new RangeError(`--sweep ${sweep} lists ${twice} twice`);
  // Values sysfs would refuse are refused here, with its message.
  for (const v of values) {
    try {
      writeTunable(defaultTunables(), `khugepaged/${m[1]}`, v);
    } catch (err) {
      if (err instanceof TunableError) throw new UsageError(`--sweep ${sweep}: ${err.message}`);
      throw err;
    }
  }
  return [m[1] as Sweepable, values];
}

/** Every variant × every combination of swept values (`report` takes them too). */
export function configsOf(f: Pick<GenerateFlags, "variants" | "sweep">): FullScanConfig[] {
  let configs: FullScanConfig[] = variantsOf(f).map((variant) => ({ variant }));
  const swept: Sweepable[] = [];
  for (const sweep of f.sweep) {
    const [tunable, values] = sweepOf(sweep);
    // One --sweep lists all of a tunable's values; a second would silently replace the first's.
    if (swept.includes(tunable)) {
      throw new RangeError(`--sweep names ${tunable} twice: list its values in one, e.g. ${tunable}=0,64`);
    }
    swept.push(tunable);
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [tunable]: v })));
  }
  return configs;
}


/** Options that only shape the scan are refused without --scan rather than ignored. */
export function checkScanOnly(f: GenerateFlags): void {
  if (f.scan) return;
  const given: Array<[string, boolean]> = [
    ["--variants", f.variants !== undefined], ["--sweep", f.sweep.length > 0], ["--workers", f.workers !== undefined],
    ["--engine", f.engine !== undefined], ["--enabled", f.enabled !== undefined],
  ];
  const flag = given.find(([, on]) => on)?.[0];
  if (flag !== undefined) throw new RangeError(`${flag} needs --scan`);
}
