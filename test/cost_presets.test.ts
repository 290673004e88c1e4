/** The parts model's machine presets: their stated errors, their use from a scenario's machine section, and preset files. */
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createCore } from "../host/node/load_core.ts";
import { readScenarioFile } from "../host/node/scenario_source.ts";
import { formatComparison } from "../host/report/compare_table.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { formatRun } from "../host/report/run_report.ts";
import { compareScenario, runScenario, wasmEngine } from "../host/run/mod.ts";
import { parseCostPreset } from "../host/scenario/cost_preset_schema.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import { calibratedPreset, calibrate, calibrationPoints, presetRows } from "../host/tlb/cost_calibration.ts";
import { localCaches } from "../host/tlb/local_points.ts";
import { accessSeconds, SEED_ACCESSES, SEED_ROWS, ticksPerAccess, walksPerAccess } from "../host/tlb/cost_model.ts";
import { presetLine } from "../host/tlb/cost_parts.ts";
import { COST_PRESETS, type CostPreset, ZEN5_BARE, ZEN5_KVM_2M, ZEN5_KVM_4K } from "../host/tlb/cost_presets.ts";
import { localTicks } from "../host/node/access_measure.ts";
import { createTlbRef } from "../host/tlb/tlb_ref.ts";
import { virtualizationOf } from "../host/tlb/virtualization.ts";
import { runMain } from "./cli_in_process.ts";
import { localOf } from "./local_ticks.ts";

const MIB = 1 << 20;
/** The measurement zen5-kvm-4k was fitted on. */
const fitMeasurement = () => JSON.parse(readFileSync(new URL("../bench/results/zen5_kvm_4k_fit.json", import.meta.url), "utf8"));
const paperPoints = calibrationPoints(localOf(() => 20), virtualizationOf("nested-4k"));

describe("the paper presets", () => {
  const rowsOf = (preset: CostPreset, kind: string) => presetRows(preset, paperPoints.filter((p) => p.kind === kind), createTlbRef);

  it("reproduce the paper's four rows within their stated errors, the fitted rows exactly", () => {
    for (const [preset, kind] of [[ZEN5_BARE, "paper-bare"], [ZEN5_KVM_2M, "paper-guest"]] as const) {
      const rows = rowsOf(preset, kind);
      expect(rows.map((r) => r.label)).toEqual([`${kind} without`, `${kind} with`]);
      expect(rows[0].error).toBeCloseTo(0, 9);
      // The held-out row is the stated error: reproduced within it, at its edge.
      expect(Math.abs(rows[1].error)).toBeCloseTo(preset.error.cycles, 12);
    }
  });

  it("state the throughput error of their held-out row through the seed program's offset time", () => {
    for (const [preset, row] of [[ZEN5_BARE, SEED_ROWS.bareMetal.with], [ZEN5_KVM_2M, SEED_ROWS.kvmGuest.with]] as const) {
      const line = presetLine(preset, 128 * MIB, "random");
      const error = row.totalSeconds / accessSeconds(line, SEED_ACCESSES, walksPerAccess(row)) - 1;
      expect(Math.abs(error)).toBeCloseTo(preset.error.throughput, 12);
    }
  });
});

describe("localTicks()", () => {
  it("takes each point's least disturbed run, and as its scatter the largest gap from that run to the next one up", () => {
    const point = (ticks: number[]) => ({ medianTicks: 0, minTicks: Math.min(...ticks), maxTicks: Math.max(...ticks), ticks, meanTicks: ticks, anonHugeKiB: 0 });
    const local = localTicks({ points: {
      "random/4k": point([17, 16, 16.8]),
      "random/thp/8mib": point([7.7, 1.5, 1.56, 6.5]),
      // Not a calibration point: its runs' gaps do not count.
      "latency/thp/512mib": point([400, 130]),
    } });
    expect(local.ticks).toEqual({ "random/4k": 16, "random/thp/8mib": 1.5, "latency/thp/512mib": 130 });
    expect(local.scatter).toBeCloseTo(16.8 / 16 - 1, 12);
  });
});

describe("zen5-kvm-4k", () => {
  it("is what calibrate() fits on its measurement (bench/results/zen5_kvm_4k_fit.json), with that fit's held-out error", () => {
    const local = localTicks(fitMeasurement());
    const c = calibrate(calibrationPoints(local, virtualizationOf("nested-4k")), createTlbRef);
    const fitted = calibratedPreset(c, ZEN5_KVM_4K.name, "nested-4k", ZEN5_KVM_4K.tscHz, "", localCaches(local), local.scatter);
    expect(ZEN5_KVM_4K.caches).toEqual(fitted.caches);
    expect(ZEN5_KVM_4K.base.random).toBeCloseTo(fitted.base.random, 3);
    expect(ZEN5_KVM_4K.base.stride!).toBeCloseTo(fitted.base.stride!, 3);
    expect(ZEN5_KVM_4K.mlp).toBeCloseTo(fitted.mlp, 3);
    expect(ZEN5_KVM_4K.dataMlp).toBeCloseTo(fitted.dataMlp, 3);
    expect(ZEN5_KVM_4K.l3EffectiveBytes).toBe(fitted.l3EffectiveBytes);
    expect(ZEN5_KVM_4K.strideL3SetShare).toBe(fitted.strideL3SetShare);
    expect(ZEN5_KVM_4K.error.cycles).toBeCloseTo(fitted.error.cycles, 4);
    expect(ZEN5_KVM_4K.error.throughput).toBeCloseTo(fitted.error.throughput, 4);
  });

  it("prices the stride over a preset file without strideL3SetShare as over all the L3's sets, and refuses a share over 1", () => {
    const { strideL3SetShare: _, ...rest } = ZEN5_KVM_4K;
    const read = parseCostPreset(rest);
    if (!("preset" in read)) throw new Error(read.reason);
    const open = presetLine({ ...ZEN5_KVM_4K, strideL3SetShare: 1 }, 512 * MIB, "stride").baseTicks;
    expect(presetLine(read.preset, 512 * MIB, "stride").baseTicks).toBe(open);
    // A quarter of the sets sends more of 512 MiB's 8 MiB of lines to DRAM than all of them.
    expect(presetLine(ZEN5_KVM_4K, 512 * MIB, "stride").baseTicks).toBeGreaterThan(open);
    expect(parseCostPreset({ ...ZEN5_KVM_4K, strideL3SetShare: 1.5 })).toMatchObject({ path: ["strideL3SetShare"] });
  });

  it("charges a buffer by the levels that hold its lines, random loads overlapped with the loop's base, the stride's added", () => {
    const at = (mib: number, pattern: "random" | "stride") => presetLine(ZEN5_KVM_4K, mib * MIB, pattern).baseTicks;
    const { caches: c, dataMlp, base } = ZEN5_KVM_4K;
    const KIB = 1024;
    // This guest's loads find 7.5 MiB of the L3 (with the L2's 1 MiB, 8.5 MiB of lines), a page stride's 15/64 of its sets.
    expect(ZEN5_KVM_4K.l3EffectiveBytes).toBe(7.5 * MIB);
    expect(ZEN5_KVM_4K.strideL3SetShare).toBe(15 / 64);
    expect(at(1 / 32, "random")).toBe(base.random);
    // Random loads over 8 MiB: 48 KiB in the L1, the rest of the L2's 1 MiB there, the rest in the L3.
    const eight = ((1 / 8 - 48 / 8192) * c.l2Cycles + (7 / 8) * c.l3Cycles) / dataMlp;
    expect(at(8, "random")).toBeCloseTo(Math.hypot(base.random, eight), 9);
    // Over 128 MiB: 1/128 in the L1 and L2, 7.5/128 in the L3, the rest from DRAM.
    const far = ((1 / 128 - 48 / 131072) * c.l2Cycles + (7.5 / 128) * c.l3Cycles + (119.5 / 128) * c.dramCycles) / dataMlp;
    expect(at(128, "random")).toBeCloseTo(Math.hypot(base.random, far), 9);
    // The stride over 128 MiB: 2 MiB of lines beside 512 KiB of page tables (guest and host PTEs); 16 KiB of L2 and
    // 15/64 of 7.5 MiB of L3 for the lines against 15/64 of the tables: 84 % of the lines in the L2 and L3, the rest
    // from DRAM. Its read-modify-writes pay them on top of the base.
    const lines = 2 * MIB + (512 * KIB * 15) / 64;
    const [inL1, inL2, inL3] = [768 / (2 * MIB + 8 * KIB), (16 * KIB) / (2 * MIB + 8 * KIB), (16 * KIB + (7.5 * MIB * 15) / 64) / lines];
    expect(inL3).toBeCloseTo(0.8376, 4);
    const stride = ((inL2 - inL1) * c.l2Cycles + (inL3 - inL2) * c.l3Cycles + (1 - inL3) * c.dramCycles) / dataMlp;
    expect(at(128, "stride")).toBeCloseTo(base.stride! + stride, 9);
  });
});

/** A one-task scenario with `machine`, one access phase of `pattern` over 64 MiB. */
function scenario(machine: Record<string, unknown>, pattern: Record<string, unknown> = { kind: "uniform" }) {
  return {
    name: "preset", variants: ["baseline"], tunables: { enabled: "never" }, machine,
    tasks: [{
      name: "t", vmas: [{ name: "m", size: "64 MiB", populate: true }],
      steps: [{ do: "access", vma: "m", pattern, count: 50_000, measure: true }],
    }],
  };
}

async function run(input: object) {
  const { memory, core } = await createCore({ maxBytes: 512 * MIB });
  return runScenario(validateScenario(input, "preset"), wasmEngine(memory, core), { trace: false });
}

describe("machine.costPreset in a run", () => {
  it("prices each access phase by the preset's line for its buffer and pattern, under the preset's virtualization", async () => {
    for (const pattern of [{ kind: "uniform" }, { kind: "sequential", stride: 4096 }]) {
      const r = await run(scenario({ costPreset: "zen5-kvm-4k" }, pattern));
      const m = r.tasks[0].measurement!;
      const line = presetLine(ZEN5_KVM_4K, 64 * MIB, pattern.kind === "uniform" ? "random" : "stride");
      expect(m.cyclesPerAccess).toBeCloseTo(ticksPerAccess(line, m.walksPerAccess), 9);
      expect(r.costModel).toBe("zen5-kvm-4k");
      expect(r.costModelError).toEqual(ZEN5_KVM_4K.error);
    }
    // The preset's nested-4k splinters: uniform loads over 64 MiB of 4 KiB entries walk on most accesses.
    const bare = await run(scenario({ costPreset: "zen5-bare" }));
    expect(bare.tasks[0].measurement!.cyclesPerAccess).toBeLessThan((await run(scenario({ costPreset: "zen5-kvm-4k" }))).tasks[0].measurement!.cyclesPerAccess);
  });

  it("takes a preset object as calibrate writes it, and names it with its error in run and compare reports", async () => {
    const preset = { ...ZEN5_KVM_4K, name: "mine", calibration: { rows: [] } };
    const r = await run(scenario({ costPreset: preset }));
    expect(r.costModel).toBe("mine");
    const pm = (x: number) => `±${Math.ceil(100 * x)} %`;
    expect(formatRun(r)).toContain(`cycles/access (${pm(preset.error.cycles)}, cost model mine)`);
    const { memory, core } = await createCore({ maxBytes: 512 * MIB });
    const c = await compareScenario(validateScenario(scenario({ costPreset: "zen5-bare" }), "c"), wasmEngine(memory, core), { trace: false });
    const json = JSON.parse(comparisonJson(c));
    expect([json.costModel, json.costModelError]).toEqual(["zen5-bare", ZEN5_BARE.error]);
    const text = formatComparison(c);
    expect(text).toContain(`cycles per access (${pm(ZEN5_BARE.error.cycles)})`);
    expect(text).toContain("from the zen5-bare machine preset of the parts cost model");
  });

  it("leaves a run without it as before: costModel named, no costModelError", async () => {
    const r = await run(scenario({}));
    expect(r.costModel).toBe("bare-metal");
    expect("costModelError" in r).toBe(false);
  });
});

describe("machine.costPreset refused", () => {
  const refusal = (machine: Record<string, unknown>) => {
    try {
      validateScenario(scenario(machine), "s.yaml");
    } catch (err) {
      return (err as Error).message;
    }
    return "accepted";
  };

  it("names the field and the reason in one line", () => {
    expect(refusal({ costPreset: "zen9" })).toBe(
      `Cannot load scenario "s.yaml": machine.costPreset must be one of ${Object.keys(COST_PRESETS).join(", ")} or a preset file (.json), got "zen9"`);
    expect(refusal({ costPreset: { ...ZEN5_BARE, mlp: -1 } })).toBe('Cannot load scenario "s.yaml": machine.costPreset.mlp must be greater than 0, got -1');
    expect(refusal({ costPreset: { ...ZEN5_BARE, base: { random: 1, strid: 2 } } })).toBe('Cannot load scenario "s.yaml": machine.costPreset.base.strid is not a known field');
    expect(refusal({ costPreset: 3 })).toBe("Cannot load scenario \"s.yaml\": machine.costPreset must be a preset's name or a preset object, got 3");
    expect(refusal({ costPreset: "zen5-kvm-4k", virtualization: "nested-2m" })).toBe(
      'Cannot load scenario "s.yaml": machine.virtualization is "nested-2m", but machine.costPreset "zen5-kvm-4k" is for "nested-4k"');
    expect(refusal({ costPreset: "zen5-kvm-4k", virtualization: "nested-4k" })).toBe("accepted");
  });
});

describe("a preset file named by a scenario file", () => {
  it("is read relative to the scenario's folder; a missing or bad one is one line naming the field, exit 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "khugesim-preset-"));
    const { calibration: _, ...preset } = { ...ZEN5_KVM_4K, name: "filed", calibration: {} };
    await writeFile(join(dir, "guest.json"), JSON.stringify({ ...preset, calibration: { rows: [] } }));
    await writeFile(join(dir, "bad.json"), JSON.stringify({ ...preset, tscHz: "fast" }));
    const write = (name: string, file: string) => writeFile(join(dir, name), JSON.stringify(scenario({ costPreset: file })));
    await write("ok.json", "guest.json");
    await write("missing.json", "nope.json");
    await write("bad-preset.json", "bad.json");
    const s = await readScenarioFile(join(dir, "ok.json"), "ok.json");
    expect(s.machine.costPreset).toMatchObject({ name: "filed", virtualization: "nested-4k" });
    expect("calibration" in (s.machine.costPreset as object)).toBe(false);

    const missing = await runMain("run", join(dir, "missing.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      `Cannot load scenario "${join(dir, "missing.json")}": machine.costPreset cannot load cost preset "${join(dir, "nope.json")}": cannot be read: no such file`);
    const bad = await runMain("run", join(dir, "bad-preset.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`Cannot load scenario "${join(dir, "bad-preset.json")}": machine.costPreset "bad.json": tscHz must be a number, got "fast"`);
    expect(bad.stdout).toBe("");
  });
});
