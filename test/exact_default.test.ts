import { describe, expect, test } from "vitest";
import { defaultTlbMode, EXACT_DEFAULT_MAX_ACCESSES } from "../host/run/exact_default.ts";
import { runWork } from "../host/run/run_work.ts";
import { loadPreset } from "../host/scenario/mod.ts";
import { runMain } from "./cli_in_process.ts";

describe("defaultTlbMode()", () => {
  test("simulates every access of a run within the bound and samples the seed experiment's billion", () => {
    const small = loadPreset("scan-succeeded");
    const seed = loadPreset("hot1-cold-hot2");
    expect(runWork(small, true).total).toBeLessThanOrEqual(EXACT_DEFAULT_MAX_ACCESSES);
    expect(defaultTlbMode(small)).toBe("exact");
    expect(runWork(seed, true).total).toBeGreaterThan(EXACT_DEFAULT_MAX_ACCESSES);
    expect(defaultTlbMode(seed)).toBe("sample");
  });
});

describe("khugesim compare and run: the TLB mode", () => {
  test("a cheap scenario is simulated exactly by default, and --sample says which figures are sampled and their error", async () => {
    const exact = await runMain("compare", "synthetic-1tib");
    expect(exact.code).toBe(0);
    expect(exact.stdout).toContain("TLB simulated exactly");
    expect(exact.stdout).not.toContain("Sampled:");
    const sampled = await runMain("run", "scan-succeeded", "--sample");
    expect(sampled.code).toBe(0);
    expect(sampled.stdout).toMatch(/Sampled: walks per access \(one standard error at most \d+\.\d{4}\)/);
  }, 60_000);

  test("--exact with --sample is refused in one line, exit 2", async () => {
    const out = await runMain("compare", "scan-succeeded", "--exact", "--sample");
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
    expect(out.stderr).toContain("--exact and --sample");
  });
});
