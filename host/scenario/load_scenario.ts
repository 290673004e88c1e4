/**
 * From text (JSON or YAML) or a plain object to a checked `Scenario`: the zod schema
 * first, then the rules that span fields, last the runner's limits on time and memory
 * (host/scenario/run_limits.ts). Every failure is one ScenarioError naming the source, the field
 * path and the reason.
 */
import { findVariant, variantChoices } from "../kernel/variants/mod.ts";
import { defaultTunables, TunableError, type Tunables, writeTunable } from "../kernel/tunables.ts";
import { MMAP_BASE, mmapAlign, placeBelow } from "../mm/address_space.ts";
import { populateProblem } from "./memory_plan.ts";
import { runLimitProblem } from "./run_limits.ts";
import { DEFAULT_RUN_CORE, generateRefusal, planFitting } from "../synth/generate.ts";
import { parseSynthSpec } from "../synth/spec.ts";
import { TLB_PRESETS } from "../tlb/presets.ts";
import { checkCostPreset } from "./cost_preset_schema.ts";
import { formatByteSize } from "../core/byte_size.ts";
import { parseDataText } from "./data_text.ts";
import { ScenarioError, formatPath, quote } from "./scenario_error.ts";
import { issueMessage } from "./issue_message.ts";
import { type Scenario, ScenarioSchema, type Step, type TaskSpec, type VmaSpec } from "./scenario_schema.ts";

const SYSFS_PREFIX = "/sys/kernel/mm/transparent_hugepage/";

/**
 * Parse scenario text. The format follows the name's extension (.json, .yaml, .yml);
 * without one, text starting with "{" is JSON and anything else YAML.
 */
export function parseScenarioText(text: string, source: string): Scenario {
  const ext = /\.(json|ya?ml)$/i.exec(source)?.[1].toLowerCase();
  const json = ext === "json" || (ext === undefined && text.trimStart().startsWith("{"));
  const parsed = parseDataText(text, json);
  if ("malformed" in parsed) throw new ScenarioError(source, "", parsed.malformed);
  return validateScenario(parsed.data, source);
}

/** Check a scenario object (parsed text or a preset module) and fill in its defaults. */
export function validateScenario(data: unknown, source = "scenario"): Scenario {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ScenarioError(source, "", `must be an object with name and tasks, got ${quote(data)}`);
  }
  const parsed = ScenarioSchema.safeParse(data, { error: issueMessage });
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    const path = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]] : iss.path;
    throw new ScenarioError(source, formatPath(path), iss.message);
  }
  const s = parsed.data as Omit<Scenario, "tasks"> & { tasks?: TaskSpec[] };
  // A scenario needs a task to run unless it generates or imports a map for khugepaged to work on.
  if (s.generate === undefined && s.import === undefined && (s.tasks === undefined || s.tasks.length === 0)) {
    throw new ScenarioError(source, "tasks", s.tasks === undefined ? "is required" : "must have at least 1 item");
  }
  const checked: Scenario = { ...s, tasks: s.tasks ?? [] };
  if (s.generate === undefined) delete checked.generate;
  if (s.import === undefined) delete checked.import;
  checkScenario(checked, source);
  return checked;
}

function checkScenario(s: Scenario, source: string): void {
  const fail = (path: PropertyKey[], reason: string): never => {
    throw new ScenarioError(source, formatPath(path), reason);
  };

  s.variants.forEach((v, i) => {
    if (!findVariant(v)) fail(["variants", i], `must be one of ${variantChoices()}, got ${quote(v)}`);
    const j = s.variants.indexOf(v);
    if (j !== i) fail(["variants", i], `repeats ${quote(v)} (already variants[${j}])`);
  });
  if (!(s.tlb in TLB_PRESETS)) fail(["tlb"], `must be one of ${Object.keys(TLB_PRESETS).join(", ")}, got ${quote(s.tlb)}`);
  checkCostPreset(s.machine, fail);

  // Each write is checked as the kernel's store handler would, in file order.
  const tunables = defaultTunables();
  const normalized: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(s.tunables)) {
    const path = sysfsPath(key);
    const err = sysfsRefusal(tunables, path, value);
    if (err) {
      fail(["tunables", key], err.errno === "ENOENT"
        ? `is not a tunable under ${SYSFS_PREFIX} (write paths such as "khugepaged/max_ptes_none")`
        : `was refused by the kernel (${refusalReason(err)})`);
    }
    normalized[path] = value;
  }
  s.tunables = normalized;

  for (const [i, p] of s.memoryPressure.entries()) {
    if (s.durationS !== undefined && p.atS > s.durationS) {
      fail(["memoryPressure", i, "atS"], `must be within durationS (${s.durationS}), got ${p.atS}`);
    }
    if (p.targetFreeBytes > s.memory.totalBytes) {
      fail(["memoryPressure", i, "targetFreeBytes"], `must not exceed memory.totalBytes (${s.memory.totalBytes}), got ${p.targetFreeBytes}`);
    }
  }

  const taskNames = new Map<string, string>();
  const claim = (name: string, path: Array<string | number>) => {
    const prev = taskNames.get(name);
    if (prev !== undefined) fail(path, `must be unique, ${quote(name)} is already used by ${prev}`);
    taskNames.set(name, formatPath(path.slice(0, -1)));
  };
  const mapBytes = s.generate !== undefined ? checkGenerate(s, fail, claim) : 0;
  if (s.import !== undefined && s.tasks.length === 0 && s.durationS === undefined) {
    fail(["durationS"], "is required when the scenario has no tasks: the run would otherwise end at once");
  }
  s.tasks.forEach((t, i) => {
    claim(t.name, ["tasks", i, "name"]);
    if (s.durationS !== undefined && t.startS > s.durationS) {
      fail(["tasks", i, "startS"], `must be within durationS (${s.durationS}), got ${t.startS}`);
    }
    checkVmas(t, ["tasks", i], fail);
    checkSteps(t.steps, new Map(t.vmas.map((v) => [v.name, v])), ["tasks", i, "steps"], s, fail, claim);
  });

  const limit = runLimitProblem(s) ?? populateProblem(s, tunables, DEFAULT_RUN_CORE, mapBytes);
  if (limit !== null) throw new ScenarioError(source, limit.path, limit.reason);
}

type Fail = (path: Array<string | number>, reason: string) => never;

/** A sysfs path relative to transparent_hugepage/, whether written so or absolute. */
function sysfsPath(key: string): string {
  return key.startsWith(SYSFS_PREFIX) ? key.slice(SYSFS_PREFIX.length) : key;
}

/** The kernel's refusal of writing `value` to `path` over `t` (which the write changes), or null. */
function sysfsRefusal(t: Tunables, path: string, value: string | number): TunableError | null {
  try {
    writeTunable(t, path, value);
    return null;
  } catch (err) {
    if (!(err instanceof TunableError)) throw err;
    return err;
  }
}

/** A TunableError's errno and reason without the "Cannot write …: " lead. */
function refusalReason(err: TunableError): string {
  return err.message.replace(/^Cannot write [^:]*: /, "");
}

/**
 * `generate:` as `parseSynthSpec` checks it, its error split into the field path and
 * the reason; then planned as the run will generate it, refused as the run would refuse
 * it. The generated mms' names ("<name>-0", …) are claimed like task names, since
 * results are reported by name. Returns the core memory bytes the map takes.
 */
function checkGenerate(s: Scenario, fail: Fail, claim: (name: string, path: Array<string | number>) => void): number {
  let spec;
  try {
    spec = parseSynthSpec(s.generate, "generate");
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    // parseSynthSpec's messages start with the field's path: "generate.size must be …".
    const m = /^(generate\S*) (.*)$/s.exec(err.message);
    return fail(m ? m[1].split(".") : ["generate"], m ? m[2] : err.message);
  }
  if (s.tasks.length === 0 && s.durationS === undefined) {
    fail(["durationS"], "is required when the scenario has no tasks: the run would otherwise end at once");
  }
  for (let i = 0; i < spec.tasks; i++) claim(`${spec.name}-${i}`, ["generate", "name"]);
  // The run's core memory is its engine's, which a scenario does not name: check against
  // a default engine's, with the seed the run gives the map (runner.ts, generate).
  try {
    return planFitting({ ...spec, seed: s.generate!.seed ?? s.seed }, DEFAULT_RUN_CORE).bytes;
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    fail(["generate"], generateRefusal(err));
  }
}

function checkVmas(t: TaskSpec, at: Array<string | number>, fail: Fail): void {
  const seen = new Map<string, number>();
  let low = MMAP_BASE, mapped = 0;
  t.vmas.forEach((v, j) => {
    // Placed as mmap will place it, top-down, with THPs taken as on: the most room mmap's
    // alignment can cost (a step may turn them off before the task maps its VMAs).
    const align = v.alignment ?? mmapAlign(v.size, true);
    const start = placeBelow(low, v.size, align);
    mapped += v.size;
    if (start === null) {
      fail([...at, "vmas", j, "size"], `takes the task's VMAs to ${formatByteSize(mapped)}, ` +
        `past what x86-64's 128 TiB user address space holds below the stack, got ${formatByteSize(v.size)}`);
    }
    low = start;
    const prev = seen.get(v.name);
    if (prev !== undefined) fail([...at, "vmas", j, "name"], `must be unique in the task, ${quote(v.name)} is already vmas[${prev}]`);
    seen.set(v.name, j);
    if (v.flags.includes("hugepage") && v.flags.includes("nohugepage")) {
      fail([...at, "vmas", j, "flags"], "cannot hold both hugepage and nohugepage");
    }
  });
}

function checkSteps(
  steps: Step[], vmas: Map<string, VmaSpec>, at: Array<string | number>, s: Scenario, fail: Fail,
  claim: (name: string, path: Array<string | number>) => void, nested = false,
): void {
  steps.forEach((step, k) => {
    const path = [...at, k];
    switch (step.do) {
      case "touch": case "madvise": case "pin": case "unpin": case "access": {
        const vma = vmas.get(step.vma);
        if (!vma) {
          const names = [...vmas.keys()];
          fail([...path, "vma"], names.length === 0
            ? `names a VMA, but the task has none, got ${quote(step.vma)}`
            : `must name one of the task's VMAs (${names.join(", ")}), got ${quote(step.vma)}`);
        }
        if (step.offset >= vma!.size) fail([...path, "offset"], `must be inside the VMA's ${vma!.size} bytes, got ${step.offset}`);
        if (step.length !== undefined && step.offset + step.length > vma!.size) {
          fail([...path, "length"], `must end inside the VMA (offset ${step.offset} + length ≤ ${vma!.size}), got ${step.length}`);
        }
        if (step.do === "access") {
          const ends = [step.count !== undefined, step.durationS !== undefined, step.untilEnd === true].filter(Boolean).length;
          if (ends !== 1) fail(path, `must have exactly one of count, durationS and untilEnd, got ${ends}`);
          if (step.untilEnd && s.durationS === undefined) {
            fail([...path, "untilEnd"], "needs the scenario's durationS: without it the run ends when the last task does");
          }
        }
        break;
      }
      case "repeat":
        checkSteps(step.steps, vmas, [...path, "steps"], s, fail, claim, true);
        break;
      case "fork":
        claim(step.child, [...path, "child"]);
        // The child inherits the parent's mappings under the same names.
        checkSteps(step.steps, vmas, [...path, "steps"], s, fail, claim);
        break;
      case "exit":
        if (nested) fail(path, "cannot be inside repeat: a task exits once");
        if (k !== steps.length - 1) fail(path, `must be the last step, but ${steps.length - 1 - k} follow`);
        break;
      case "sleep":
        break;
      case "sysfs": {
        // Checked as the store handler checks it (the value alone decides), on scratch tunables.
        step.path = sysfsPath(step.path);
        const err = sysfsRefusal(defaultTunables(), step.path, step.value);
        if (err?.errno === "ENOENT") fail([...path, "path"], `is not a file under ${SYSFS_PREFIX} (${refusalReason(err)})`);
        if (err) fail([...path, "value"], `was refused by the kernel (${refusalReason(err)})`);
        break;
      }
    }
  });
}
