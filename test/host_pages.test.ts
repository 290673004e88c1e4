/** The host's page size from the chases over 96 and 128 pages and over one THP (host/tlb/host_pages.ts). */
import { describe, expect, it } from "vitest";
import { pointKey } from "../host/tlb/local_points.ts";
import { hostPageEvidence } from "../host/tlb/host_pages.ts";

/** Chase ticks over 96 pages, 128 pages and one THP, keyed as a measurement keys them. */
const chases = (fits: number, misses: number, thp: number) => ({
  [pointKey("chase", "4k", 3 / 8)]: fits, [pointKey("chase", "4k", 1 / 2)]: misses, [pointKey("chase", "thp", 2)]: thp,
});

describe("hostPageEvidence()", () => {
  it("reads 4 KiB host pages where a THP's chase is as slow as 128 pages', 2 MiB where as fast as 96 pages'", () => {
    // This guest: 2.42, 6.68 and 6.67 ticks (bench/results/zen5_kvm_4k_fit.json has them).
    const here = hostPageEvidence(chases(2.42, 6.68, 6.67))!;
    expect(here.hostPages).toBe("4k");
    expect(here.splintered).toBeCloseTo((6.67 - 2.42) / (6.68 - 2.42), 12);
    expect(hostPageEvidence(chases(2.42, 6.68, 2.5))!.hostPages).toBe("2m");
    expect(hostPageEvidence(chases(2.42, 6.68, 4.6))!.hostPages).toBe("4k");
  });

  it("cannot tell where the chases over 96 and 128 pages take about as long, and has nothing without them", () => {
    expect(hostPageEvidence(chases(2.42, 2.9, 6.67))!.hostPages).toBeNull();
    expect(hostPageEvidence({ [pointKey("chase", "thp", 2)]: 6.67 })).toBeNull();
  });
});
