import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import {
  AccessStream, type HostPageMix, mixedHostLevels, mixedVirtualization, mixThresholds, TaskTlb, type TlbCore,
  type TlbPreset, type Virtualization, virtualizationOf, ZEN5,
} from "../host/tlb/mod.ts";
import { createTlbCores, mappedDirectory } from "./tlb_fixture.ts";

let memory: CoreMemory;
let wasm: TlbCore;
let ts: TlbCore;

beforeAll(async () => {
  ({ memory, wasm, ts } = await createTlbCores());
});

/** A directory of 2 MiB pages (head frames 2 MiB apart, spread over guest-physical memory) and PTE tables of contiguous frames. */
function directory(huge: boolean[]): number {
  return mappedDirectory(memory, huge, (p) => 37 * p + 3, (p, i) => 512 * (41 * p + 5) + i);
}

/** Zen 5 with a small L1 and L2 and nested caches, so that a few PMDs make walks that use them. */
const SMALL: TlbPreset = {
  ...ZEN5, name: "small-zen", l1: { entries: 24, ways: 24 }, l2: { entries: 64, ways: 4 },
  nestedWalkCaches: { ntlb: { entries: 16, ways: 16 }, pwc: { entries: 8, ways: 8 } },
};

/**
 * `count` uniform accesses over `huge`'s PMDs, in directory `dir` when given (else a new
 * one). Runs compared with each other share one directory: under nested paging the PTE
 * tables' own frames are guest-physical pages too, so other tables can land in regions
 * the mix backs with another host page size.
 */
function run(core: TlbCore, preset: TlbPreset, huge: boolean[], v: Virtualization, count: number, dir = directory(huge)) {
  const region = { dir, firstPmd: 0, offset: 0, length: huge.length * 512 * 4096 };
  return new TaskTlb(memory, core, preset, v).run(new AccessStream(memory, region, { kind: "uniform" }, 21), count);
}

const mix: fc.Arbitrary<HostPageMix> = fc.tuple(fc.nat(10), fc.nat(10), fc.nat(10))
  .filter(([a, b, c]) => a + b + c > 0)
  .map(([a, b, c]) => ({ "4k": a / (a + b + c), "2m": b / (a + b + c), "1g": 1 - (a + b) / (a + b + c) }));

describe("mixedHostLevels()", () => {
  it("backs about the mix's fraction of regions with each page size, and a 1 GiB region with one size", () => {
    const fractions = { "4k": 0.3, "2m": 0.5, "1g": 0.2 };
    const { t1g, t4k } = mixThresholds(fractions);
    const levels = Array.from({ length: 512 * 200 }, (_, r) => mixedHostLevels(r, 99, t1g, t4k));
    const share = (l: number) => levels.filter((x) => x === l).length / levels.length;
    expect(share(4)).toBeCloseTo(0.3, 1);
    expect(share(3)).toBeCloseTo(0.5, 1);
    expect(share(2)).toBeCloseTo(0.2, 1);
    for (let g = 0; g < 200; g++) {
      const inRegion = levels.slice(512 * g, 512 * (g + 1));
      expect(inRegion.every((l) => l === 2) || inRegion.every((l) => l !== 2)).toBe(true);
    }
    const other = Array.from({ length: 512 }, (_, r) => mixedHostLevels(r, 100, t1g, t4k));
    expect(other).not.toEqual(levels.slice(0, 512));
  });
});

describe("mixedVirtualization()", () => {
  it("refuses fractions that do not sum to 1 or name an unknown size, saying what it expected", () => {
    expect(() => mixedVirtualization({ "4k": 0.3, "2m": 0.6 }, 1)).toThrow(/summing to 1/);
    expect(() => mixedVirtualization({ "64k": 1 } as HostPageMix, 1)).toThrow(/4k, 2m and 1g/);
  });
});

describe("tlbRun() under a mix of host page sizes", () => {
  it("counts the same on the WASM core and the TypeScript twin", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), mix, fc.integer(), fc.integer({ min: 1, max: 5000 }),
        (huge, fractions, seed, n) => {
          const v = mixedVirtualization(fractions, seed);
          const dir = directory(huge);
          expect(run(wasm, SMALL, huge, v, n, dir)).toEqual(run(ts, SMALL, huge, v, n, dir));
        }),
      { numRuns: 120 },
    );
  });

  it.each(["4k", "2m", "1g"] as const)("counts a mix of %s pages only as that host page size", (size) => {
    const huge = [true, false, true, true, false, false];
    for (const core of [wasm, ts]) {
      expect(run(core, SMALL, huge, mixedVirtualization({ [size]: 1 }, 5), 40_000))
        .toEqual(run(core, SMALL, huge, virtualizationOf(`nested-${size}`), 40_000));
    }
  });

  it("splinters the guest's 2 MiB pages in the regions 4 KiB host pages back, and only there", () => {
    const huge = Array.from({ length: 16 }, () => true);
    const split = run(wasm, SMALL, huge, virtualizationOf("nested-4k"), 40_000).l1Misses4k;
    const half = run(wasm, SMALL, huge, mixedVirtualization({ "4k": 0.5, "2m": 0.5 }, 8), 40_000);
    expect(half.l1Misses4k).toBeGreaterThan(0.2 * split);
    expect(half.l1Misses4k).toBeLessThan(0.8 * split);
    expect(half.l1Misses2m).toBeGreaterThan(0);
  });
});

describe("machine.virtualization: { nested: mix } in a scenario", () => {
  function scenario(machine: Record<string, unknown>) {
    return validateScenario({
      name: "guest", tunables: { enabled: "always" }, variants: ["baseline"], machine,
      tasks: [{
        name: "t", vmas: [{ name: "m", size: "64 MiB", populate: true }],
        steps: [{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 200_000 }],
      }],
    }, "guest");
  }

  async function walksPerAccess(machine: Record<string, unknown>): Promise<number> {
    const { memory, core } = await createCore({ maxBytes: 512 * 1024 * 1024 });
    const result = await runScenario(scenario(machine), wasmEngine(memory, core), { trace: false });
    return result.tasks[0].perf!.walksPerAccess;
  }

  it("splinters the THPs of the regions 4 KiB host pages back: walks between all 2 MiB and all 4 KiB host pages", async () => {
    const whole = await walksPerAccess({ virtualization: "nested-2m" });
    const split = await walksPerAccess({ virtualization: "nested-4k" });
    const mixed = await walksPerAccess({ virtualization: { nested: { "4k": 0.3, "2m": 0.7 } } });
    // About ten of the 32 regions splintered: 5000 pages against the 4096-entry L2, so a few walks.
    expect(mixed).toBeGreaterThan(whole + 0.01);
    expect(mixed).toBeLessThan(split / 4);
    expect(await walksPerAccess({ virtualization: { nested: { "2m": 1 } } })).toBe(whole);
  });

  it.each([
    [{ virtualization: { nested: { "4k": 0.3, "2m": 0.6 } } }, /machine.virtualization.nested must be fractions of 4k, 2m and 1g summing to 1, got a sum of 0.9$/],
    [{ virtualization: { nested: { "64k": 1 } } }, /machine.virtualization/],
    [{ virtualization: { nested: { "4k": 1.5, "2m": -0.5 } } }, /machine.virtualization/],
    [{ virtualization: "nested-8k" }, /machine.virtualization must be none, nested-4k, nested-2m, nested-1g or \{ nested/],
  ])("rejects %j naming the field", (machine, message) => {
    expect(() => scenario(machine)).toThrow(message);
  });
});
