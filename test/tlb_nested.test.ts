import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreMemory } from "../host/core/core_memory.ts";
import { PMD } from "../host/core/layout.ts";
import { createCore } from "../host/node/load_core.ts";
import { runScenario, wasmEngine } from "../host/run/mod.ts";
import { validateScenario } from "../host/scenario/mod.ts";
import {
  AccessStream, hostLevels, nestedWalkRefs, TaskTlb, type TlbCore, virtualizationOf, ZEN5,
} from "../host/tlb/mod.ts";
import { createTlbCores } from "./tlb_fixture.ts";

const PAGE = 4096;
let memory: CoreMemory;
const cores: Record<string, TlbCore> = {};

beforeAll(async () => {
  const created = await createTlbCores();
  memory = created.memory;
  cores.wasm = created.wasm;
  cores.ts = created.ts;
});

/** A PMD directory of `pmds` entries, all 2 MiB pages or all PTE tables. */
function directory(pmds: number, huge: boolean): number {
  const dir = memory.alloc(pmds * 4, 64);
  memory.u32.fill(huge ? PMD.HUGE : 1, dir >>> 2, (dir >>> 2) + pmds);
  return dir;
}

/** Zen 5 without page-walk caches: every walk makes its full guest walk. */
const NO_PWC = { ...ZEN5, pageWalkCaches: { pmd: null, pud: null, pgd: null } };

describe("nestedWalkRefs()", () => {
  it("counts a 4-level guest walk over 4 KiB host pages as 24 loads, and fewer for shorter walks", () => {
    expect(nestedWalkRefs(4, hostLevels(virtualizationOf("nested-4k")))).toBe(24);
    expect(nestedWalkRefs(3, hostLevels(virtualizationOf("nested-4k")))).toBe(19);
    expect(nestedWalkRefs(4, hostLevels(virtualizationOf("nested-2m")))).toBe(19);
    expect(nestedWalkRefs(4, hostLevels(virtualizationOf("nested-1g")))).toBe(14);
    expect(nestedWalkRefs(4, hostLevels(virtualizationOf("none")))).toBe(4);
  });

  it("rejects an unknown virtualization naming the accepted values", () => {
    expect(() => virtualizationOf("nested-64k")).toThrow(/nested-64k.*none, nested-4k, nested-2m or nested-1g/);
  });
});

describe.each(["wasm", "ts"])("TaskTlb under nested paging on the %s core", (name) => {
  const run = (v: string, huge: boolean, seed: number, count: number, preset = ZEN5) => {
    const pmds = 64;
    const stream = new AccessStream(memory, { dir: directory(pmds, huge), firstPmd: 0, offset: 0, length: pmds * 512 * PAGE },
      { kind: "uniform" }, seed);
    return new TaskTlb(memory, cores[name], preset, virtualizationOf(v)).run(stream, count);
  };

  it("splinters guest THPs over 4 KiB host pages: the TLB behaves as for 4 KiB guest pages", () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 20_000 }), (seed, count) => {
      const splintered = run("nested-4k", true, seed, count);
      const small = run("nested-4k", false, seed, count);
      expect(splintered.l1Misses2m).toBe(0);
      expect(splintered.walks).toBe(small.walks);
      expect(splintered.l2Hits).toBe(small.l2Hits);
      // Only the walk is shorter: the guest part ends at its PMD.
      expect(splintered.walkRefs).toBeLessThanOrEqual(small.walkRefs);
    }), { numRuns: 20 });
  });

  it("keeps guest THPs whole over 2 MiB host pages: fewer walks than when splintered", () => {
    const whole = run("nested-2m", true, 3, 100_000);
    const splintered = run("nested-4k", true, 3, 100_000);
    expect(whole.l1Misses4k).toBe(0);
    expect(whole.walks).toBeLessThan(splintered.walks / 10);
  });

  it("makes (g + 1)(h + 1) - 1 loads per walk without page-walk caches", () => {
    for (const [v, h] of [["none", 0], ["nested-4k", 4], ["nested-2m", 3], ["nested-1g", 2]] as const) {
      for (const [huge, g] of [[false, 4], [true, 3]] as const) {
        const c = run(v, huge, 5, 5000, NO_PWC);
        expect(c.walks).toBeGreaterThan(0);
        expect(c.walkRefs).toBe(c.walks * ((g + 1) * (h + 1) - 1));
      }
    }
  });
});

describe("machine.virtualization in a scenario", () => {
  async function walksPerAccess(virtualization?: string): Promise<number> {
    const scenario = validateScenario({
      name: "guest", tunables: { enabled: "always" }, variants: ["baseline"], machine: { virtualization },
      tasks: [{
        name: "t", vmas: [{ name: "m", size: "64 MiB", populate: true }],
        steps: [{ do: "access", vma: "m", pattern: { kind: "uniform" }, count: 200_000 }],
      }],
    }, "guest");
    const { memory, core } = await createCore({ maxBytes: 512 * 1024 * 1024 });
    const result = await runScenario(scenario, wasmEngine(memory, core), { trace: false });
    expect(result.tasks[0].memory.anonHugePagesKb).toBe(64 * 1024);
    return result.tasks[0].perf!.walksPerAccess;
  }

  it("splinters the task's THPs over 4 KiB host pages only", async () => {
    const bare = await walksPerAccess(undefined);
    expect(await walksPerAccess("nested-2m")).toBe(bare);
    // 64 MiB of 4 KiB entries is 16384 pages against a 4096-entry L2: most accesses walk.
    expect(bare).toBeLessThan(0.01);
    expect(await walksPerAccess("nested-4k")).toBeGreaterThan(0.5);
  });

  it("rejects an unknown host page size naming the field", () => {
    expect(() => validateScenario({ name: "g", machine: { virtualization: "nested-8k" }, tasks: [] }, "g"))
      .toThrow(/machine\.virtualization/);
  });
});
