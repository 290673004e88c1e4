/** `run --heatmap`: THP coverage per task over time and address, as terminal text. */
import { describe, expect, test } from "vitest";
import { PMD_STATES } from "../host/mm/pmd_map.ts";
import { COLUMNS, HeatmapCollector, hugeShares, shade } from "../host/report/heatmap.ts";
import { runMain } from "./cli_in_process.ts";

const S = (name: (typeof PMD_STATES)[number]) => PMD_STATES.indexOf(name);

describe("hugeShares()", () => {
  test("gives each column the THP share of its mapped PMDs, null where nothing is mapped", () => {
    const pmds = Uint8Array.from([S("huge"), S("small"), S("empty"), S("empty"), S("huge-lazyfree"), S("huge"), S("lazyfree"), S("swapped")]);
    expect(hugeShares(pmds, 4)).toEqual([0.5, null, 1, 0]);
  });

  test("spreads a map of any length over the columns, every PMD in one", () => {
    for (const n of [1, 63, 64, 65, 1000]) {
      const shares = hugeShares(new Uint8Array(n).fill(S("huge")));
      expect(shares).toHaveLength(COLUMNS);
      expect(shares.filter((x) => x !== null).every((x) => x === 1)).toBe(true);
      expect(shares.filter((x) => x !== null).length).toBe(Math.min(n, COLUMNS));
    }
  });
});

test("shade() tells none, some and all apart, and a column with nothing mapped is blank", () => {
  expect([null, 0, 0.1, 0.5, 0.9, 1].map(shade)).toEqual([" ", ".", "░", "▒", "▓", "█"]);
});

test("HeatmapCollector leaves out a task once it has exited", () => {
  const h = new HeatmapCollector();
  const task = (alive: boolean) => ({ name: "t", alive, pmds: new Uint8Array([S("huge")]), pmdRuns: [0, 1], lastScan: new Uint8Array(1), anonHugePagesKb: 2048, lazyFreeKb: 0, swapKb: 0 });
  h.add({ variant: "baseline", timeS: 1, endS: 2, cursor: null, tasks: [task(true)] });
  h.add({ variant: "baseline", timeS: 2, endS: 2, cursor: null, tasks: [task(false)] });
  expect(h.maps.get("baseline")!.get("t")!.rows.map((r) => r.timeS)).toEqual([1]);
});

describe("khugesim run --heatmap", () => {
  test("the seed's hot2 fills in under lazyfree-skip: no THP at its start, all 64 PMDs by the end", async () => {
    const r = await runMain("run", "hot1-cold-hot2", "--variants", "lazyfree-skip", "--heatmap");
    expect(r.code, r.stderr).toBe(0);
    const block = r.stdout.split("\n\n").find((b) => b.startsWith("hot2 (lazyfree-skip): 64 PMDs across"))!;
    const rows = block.trimEnd().split("\n").slice(1).map((l) => /\|(.*)\|$/.exec(l)![1]);
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.length).toBeLessThanOrEqual(24);
    expect(rows[0]).not.toContain("█");
    expect(rows.at(-1)).toBe("█".repeat(64));
    const heatmap = r.stdout.slice(r.stdout.indexOf("THP-mapped share"));
    for (const line of heatmap.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  }, 60_000);

  test("--heatmap with --json is refused in one line", async () => {
    const r = await runMain("run", "scan-succeeded", "--heatmap", "--json");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("--heatmap prints text after the report: it cannot go with --json\n");
  });
});
