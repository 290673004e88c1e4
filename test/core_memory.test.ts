/**
 * CoreMemory.rewind: a run's allocations freed for the next run, zeroed as fresh ones
 * are, and compareScenario freeing each variant's run so that every variant has the
 * engine's whole memory.
 */
import { describe, expect, test } from "vitest";
import { CoreMemory } from "../host/core/core_memory.ts";
import { CORE_RESERVED_BYTES, PTE_TABLE_BYTES } from "../host/core/layout.ts";
import { createCore } from "../host/node/load_core.ts";
import { comparisonJson } from "../host/report/json_report.ts";
import { compareScenario, runScenario, wasmEngine } from "../host/run/mod.ts";
import { loadPreset, type Scenario, validateScenario } from "../host/scenario/mod.ts";

describe("CoreMemory.u32", () => {
  test("u32 covers what alloc() grew, and a memory adopted from another CoreMemory sees the owner's growth", () => {
    const owner = new CoreMemory({ maxBytes: 64 * 1024 * 1024 });
    const adopted = new CoreMemory({ memory: owner.memory });
    const before = owner.u32.byteLength;
    const far = owner.alloc(8 * 1024 * 1024, 4096);
    expect(owner.u32.byteLength).toBeGreaterThan(before);
    owner.u32[(far >>> 2) + 5] = 42;
    expect(adopted.u32[(far >>> 2) + 5]).toBe(42);
  });
});

describe("CoreMemory.rewind", () => {
  test("rewind() hands the freed bytes out again, zeroed, and drops freed tables above the mark", () => {
    const m = new CoreMemory({ maxBytes: 16 * 1024 * 1024 });
    const below = m.allocTable();
    const mark = m.usedBytes;
    const a = m.alloc(64);
    const table = m.allocTable();
    m.u32.fill(0xdeadbeef, a >>> 2, (a + 64) >>> 2);
    m.u32.fill(7, table >>> 2, (table + PTE_TABLE_BYTES) >>> 2);
    m.freeTable(table);
    m.freeTable(below);
    m.rewind(mark);
    expect(m.usedBytes).toBe(mark);
    expect(m.alloc(64)).toBe(a);
    expect([...m.u32.subarray(a >>> 2, (a + 64) >>> 2)].every((x) => x === 0)).toBe(true);
    // The table freed below the mark is still free; the one above it went with the rewind.
    expect(m.allocTable()).toBe(below);
    const fresh = m.allocTable();
    expect(fresh).toBeGreaterThanOrEqual(a + 64);
    expect([...m.u32.subarray(fresh >>> 2, (fresh + PTE_TABLE_BYTES) >>> 2)].every((x) => x === 0)).toBe(true);
  });

  test("rewind() refuses a mark inside the reserved bytes and frees nothing for one above the used bytes", () => {
    const m = new CoreMemory({ maxBytes: 16 * 1024 * 1024 });
    expect(() => m.rewind(CORE_RESERVED_BYTES - 8)).toThrow(/^Cannot rewind core memory to \d+: expected a mark of at least/);
    const a = m.alloc(64);
    m.u32[a >>> 2] = 5;
    // Another comparison on the memory rewound below this mark already: nothing is left to free.
    m.rewind(m.usedBytes + 8);
    expect(m.u32[a >>> 2]).toBe(5);
    expect(m.alloc(8)).toBeGreaterThanOrEqual(a + 64);
  });

  test("compareScenario() gives every variant the whole core memory: a map using most of it fits both runs", async () => {
    const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
    const engine = wasmEngine(memory, core);
    // 20 GiB with a PTE table per PMD: 10,240 tables, 40 MiB of the 64 MiB.
    const s = validateScenario({
      name: "most-of-core", variants: ["baseline", "lazyfree-skip"], durationS: 1, tasks: [],
      generate: { size: "20GiB", dedup: false },
    }, "most-of-core");
    const before = memory.usedBytes;
    const c = await compareScenario(s, engine);
    expect(c.results.map((r) => r.generated?.length)).toEqual([1, 1]);
    expect(memory.usedBytes).toBe(before);
  });

  test("compareScenario() refuses no variants and a variant named twice: results are keyed by name", async () => {
    const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
    const engine = wasmEngine(memory, core);
    const s = loadPreset("scan-succeeded");
    await expect(compareScenario(s, engine, { variants: [] })).rejects.toThrow(`Cannot compare "scan-succeeded": name at least one variant`);
    await expect(compareScenario(s, engine, { variants: ["baseline", "baseline"] }))
      .rejects.toThrow(`Cannot compare "scan-succeeded": variant "baseline" is named twice`);
  });

  test("runScenario() refuses an object that did not come through validateScenario(), with a TypeError saying so", async () => {
    const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
    await expect(runScenario({ tasks: [] } as unknown as Scenario, wasmEngine(memory, core)))
      .rejects.toThrow(/^runScenario takes a scenario from validateScenario\(\)/);
  });

  test("compareScenario() twice at once on one engine: neither rewinds under the other", async () => {
    const { memory, core } = await createCore({ maxBytes: 64 * 1024 * 1024 });
    const engine = wasmEngine(memory, core);
    const s = loadPreset("scan-page-lazyfree");
    const alone = comparisonJson(await compareScenario(s, engine));
    const both = await Promise.all([compareScenario(s, engine), compareScenario(s, engine)]);
    expect(both.map((c) => comparisonJson(c))).toEqual([alone, alone]);
  });

  test("compareScenario() frees nothing while another run on the engine is still going", async () => {
    const { memory, core } = await createCore({ maxBytes: 256 * 1024 * 1024 });
    const engine = wasmEngine(memory, core);
    const [seed, small] = [loadPreset("hot1-cold-hot2"), loadPreset("scan-succeeded")];
    const alone = comparisonJson(await compareScenario(seed, engine));
    // The small comparison ends first; the seed's runs must keep their memory.
    const [together] = await Promise.all([compareScenario(seed, engine), compareScenario(small, engine)]);
    expect(comparisonJson(together)).toBe(alone);
  }, 60_000);
});
