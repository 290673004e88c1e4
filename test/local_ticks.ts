/** A measurement of this machine's points for tests, in the form localTicks() gives (host/node/access_measure.ts). */
import { LATENCY_POINTS, LOCAL_POINTS, type LocalTicks, pointKey } from "../host/tlb/local_points.ts";

/** A measurement with `ticks` at every local point and round latencies at the latency loop's. */
export function localOf(ticks: (pattern: string, pages: string, mib: number) => number): LocalTicks {
  const latency = Object.entries({ l2: 6, l3: 14, dram: 130 }).map(([level, t]) => {
    const [pages, mib] = LATENCY_POINTS[level as keyof typeof LATENCY_POINTS];
    return [pointKey("latency", pages, mib), t];
  });
  return {
    ticks: Object.fromEntries([...LOCAL_POINTS.map((p) => [pointKey(p.pattern, p.pages, p.mib), ticks(p.pattern, p.pages, p.mib)]), ...latency]),
  };
}
