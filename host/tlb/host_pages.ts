/**
 * The host's page size under a guest, from timing: a guest cannot read its host's page tables
 * and, here, has no PMU to count walks. A dependent chase over one line of each 4 KiB page
 * (access_cost.c `chase`) pays an L1 DTLB miss on every load once its pages outnumber the
 * L1 DTLB's entries (Zen 5: 96, all page sizes; the chase over 96 pages and over 128 straddles
 * that). Over one 2 MiB guest THP, a host that maps it with one 2 MiB entry makes the chase as
 * fast as over 96 pages; a host on 4 KiB pages splinters it into 512 entries, as slow as over
 * 128. (A TLB entry maps the smaller of the guest's and the host's page.)
 */
import { pointKey } from "./local_points.ts";

/** The chases that tell the host's page size: pages, MiB. */
export const HOST_PAGE_CHASES = { fits: ["4k", 3 / 8], misses: ["4k", 1 / 2], thp: ["thp", 2] } as const;

export interface HostPageEvidence {
  /** Ticks per load of the chase over 96 pages (within the L1 DTLB), over 128, and over one THP. */
  readonly fitsTicks: number;
  readonly missesTicks: number;
  readonly thpTicks: number;
  /** Where the THP's chase falls between the two: 0 as over 96 pages, 1 as over 128. */
  readonly splintered: number;
  /** The host page size the THP's chase shows; null where the two 4 KiB chases do not differ enough to tell. */
  readonly hostPages: "4k" | "2m" | null;
}

/** The host page evidence in a measurement's ticks by pointKey(); null without the chases. */
export function hostPageEvidence(ticks: Readonly<Record<string, number>>): HostPageEvidence | null {
  const [fitsTicks, missesTicks, thpTicks] = Object.values(HOST_PAGE_CHASES).map(([pages, mib]) => ticks[pointKey("chase", pages, mib)]);
  if (fitsTicks === undefined || missesTicks === undefined || thpTicks === undefined) return null;
  const splintered = (thpTicks - fitsTicks) / (missesTicks - fitsTicks);
  // An L1 DTLB miss that hits the L2 DTLB costs Zen 5 about 7 cycles; under a quarter of that is noise.
  const tells = missesTicks > 1.25 * fitsTicks;
  return { fitsTicks, missesTicks, thpTicks, splintered, hostPages: !tells ? null : splintered > 0.5 ? "4k" : "2m" };
}
