/**
 * A scenario's `machine.costPreset`: a built-in preset's name (host/tlb/cost_presets.ts), or
 * a preset as `khugesim calibrate` writes it. In a file the Node loader reads a preset file
 * named relative to the scenario (host/node/scenario_cost_preset.ts); the library and the
 * browser take the file's object.
 */
import { z } from "zod";
import { COST_PRESETS, type CostPreset } from "../tlb/cost_presets.ts";
import { issueMessage } from "./issue_message.ts";
import { quote } from "./scenario_error.ts";
import type { MachineSpec } from "./kernel_schema.ts";

const positive = z.number().gt(0);
const ticks = z.number().min(0).max(1e6);
const share = z.number().min(0).max(100);
/** A divisor that JSON writes as null where it is Infinity. */
const infinitePositive = z.preprocess((v) => (v === Infinity ? null : v), z.number().gt(0).nullable()).transform((v) => v ?? Infinity);

/** The schema of a preset object; `calibration` holds calibrate's points and measurement, unread. */
const CostPresetSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(""),
  virtualization: z.enum(["none", "nested-4k", "nested-2m", "nested-1g"]),
  caches: z.strictObject({
    l1Bytes: positive, l2Bytes: positive, l3Bytes: positive, l2Cycles: positive, l3Cycles: positive, dramCycles: positive,
  }),
  base: z.strictObject({ random: ticks, stride: ticks.optional() }),
  // null (JSON's Infinity): walks fully overlapped by data loads (cost_fit.ts, fitParts).
  mlp: infinitePositive,
  // null (JSON's Infinity): the data part in base (the paper's presets).
  dataMlp: infinitePositive,
  l3EffectiveBytes: positive,
  strideL3SetShare: z.number().gt(0).max(1).optional(),
  tscHz: z.number().min(1e6).max(1e12),
  offsetSecondsPerAccess: z.number().min(0).max(1),
  error: z.strictObject({ cycles: share, throughput: share, heldOut: z.string() }),
  sources: z.string().default(""),
  calibration: z.unknown().optional(),
});

/** A machine section's preset as written: a name, a file name, or a preset object. */
export type CostPresetSpec = string | CostPreset;

/** Whether `name` reads as a file the Node loader opens rather than a built-in name. */
export function isPresetFileName(name: string): boolean {
  return /[/\\]|\.json$/i.test(name);
}

/** `data` checked as a preset; otherwise the path of the first bad field (from the preset) and why. */
export function parseCostPreset(data: unknown): { preset: CostPreset } | { path: PropertyKey[]; reason: string } {
  const r = CostPresetSchema.safeParse(data, { error: issueMessage });
  if (r.success) {
    const { calibration: _, ...preset } = r.data;
    return { preset };
  }
  const iss = r.error.issues[0];
  const path = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]] : iss.path;
  return { path, reason: iss.message };
}

/**
 * Check `machine.costPreset` and its agreement with `machine.virtualization`; `fail` takes the
 * field's path under the scenario and the reason. A preset object is replaced by its checked
 * copy (defaults filled, `calibration` dropped); a preset file's name passes: it is read later.
 */
export function checkCostPreset(machine: MachineSpec, fail: (path: PropertyKey[], reason: string) => never): void {
  const spec = machine.costPreset;
  if (spec === undefined) return;
  let preset: CostPreset;
  if (typeof spec === "string") {
    if (isPresetFileName(spec)) return;
    if (!(spec in COST_PRESETS)) {
      fail(["machine", "costPreset"], `must be one of ${Object.keys(COST_PRESETS).join(", ")} or a preset file (.json), got ${quote(spec)}`);
    }
    preset = COST_PRESETS[spec];
  } else {
    const r = parseCostPreset(spec);
    if ("reason" in r) return fail(["machine", "costPreset", ...r.path], r.reason);
    preset = r.preset;
    machine.costPreset = preset;
  }
  if (machine.virtualization !== undefined && machine.virtualization !== preset.virtualization) {
    fail(["machine", "virtualization"], `is ${quote(machine.virtualization)}, but machine.costPreset ${quote(preset.name)} is for ${quote(preset.virtualization)}`);
  }
}

/**
 * The preset of a checked machine section; null without one. A file's name left unread is an
 * error, or with `unreadAsNone` (bounds checked before the Node loader reads it) null.
 */
export function costPresetOf(machine: MachineSpec, unreadAsNone = false): CostPreset | null {
  const spec = machine.costPreset;
  if (spec === undefined) return null;
  if (typeof spec !== "string") return spec;
  const preset = COST_PRESETS[spec];
  if (preset === undefined) {
    if (unreadAsNone) return null;
    throw new RangeError(`machine.costPreset ${quote(spec)} is a file, which only the Node loader reads; pass the file's object instead`);
  }
  return preset;
}

/** The virtualization a run simulates, as the machine section gives it: its own, else its preset's; undefined: bare metal. */
export function virtualizationSpecOf(machine: MachineSpec): MachineSpec["virtualization"] {
  return machine.virtualization ?? costPresetOf(machine)?.virtualization;
}
