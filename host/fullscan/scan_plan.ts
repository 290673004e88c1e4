/**
 * What one full khugepaged scan will visit, taken from a kernel: the registered mms in
 * list order, each VMA's eligibility and PMD range, and the scan ranges the cores are
 * handed. It is plain data: the ranges go to workers by postMessage, the walk stays
 * on the main thread.
 */
import { thpVmaAllowable } from "../mm/thp_policy.ts";
import { hugepageEnabled } from "../kernel/thp_sizes.ts";
import type { KhugepagedKernel } from "../khugepaged/khugepaged_kernel.ts";
import { PMD_SIZE, vmaHend, vmaHstart } from "../mm/vma.ts";

/** Columns of one row of `ScanPlan.ranges`. */
export const RANGE = {
  /** Byte offset of the mm's PMD directory. */
  DIR: 0,
  /** Index of the range's first entry in that directory. */
  FIRST: 1,
  /** PMDs in the range. */
  COUNT: 2,
  /** PMD number (address >> 21) of the first PMD. */
  PMD_NO: 3,
  VMA_FLAGS: 4,
  /** Index of the range's first PMD in the outcome array. */
  OUT: 5,
  WIDTH: 6,
} as const;

export interface PlanVma {
  end: number;
  eligible: boolean;
  hstart: number;
  hend: number;
  /** Outcome index of the PMD at hstart (eligible VMAs with whole PMDs only, else -1). */
  out: number;
}

export interface PlanMm {
  name: string;
  /** Not exiting and THP not disabled for it (`khugepaged_test_exit_or_disable`). */
  live: boolean;
  vmas: PlanVma[];
}

export interface ScanPlan {
  mms: PlanMm[];
  /** Rows of RANGE.WIDTH u32 values, in scan order; outcome indices are contiguous. */
  ranges: Uint32Array;
  /** PMDs a full scan examines (the length of an outcome array). */
  pmds: number;
  /** VMAs khugepaged may scan, and the ones it charges 1 for and skips. */
  eligibleVmas: number;
  ineligibleVmas: number;
  /**
   * VMAs a full scan charges 1 for without scanning them: ineligible ones, and ones
   * wholly behind the cursor (`address > hend`). Which they are does not depend on
   * the PMDs' outcomes: a collapse ends a call, and its mm is revisited at the same VMA.
   */
  chargedVmas: number;
}

/**
 * The plan of a full scan of `k`'s khugepaged list, from its head, with the kernel's
 * current tunables and VMAs. Throws a RangeError when khugepaged would not run.
 */
export function buildScanPlan(k: KhugepagedKernel): ScanPlan {
  // The full scan is PMD-order only: it needs the PMD size on.
  if (!hugepageEnabled(k.tunables, false)) {
    const pmd = k.tunables.hugepages[2048];
    const [file, value] = pmd === "inherit" ? ["enabled", k.tunables.enabled] : ["hugepages-2048kB/enabled", pmd];
    throw new RangeError(`Cannot run a full khugepaged scan: transparent_hugepage/${file} is "${value}"`);
  }
  if (k.khugepaged.slots.length === 0) {
    throw new RangeError("Cannot run a full khugepaged scan: no mm is registered with khugepaged");
  }
  const rows: number[] = [];
  const mms: PlanMm[] = [];
  let out = 0, eligibleVmas = 0, ineligibleVmas = 0, chargedVmas = 0;
  for (const mm of k.khugepaged.slots) {
    const live = mm.users > 0 && !mm.thpDisabled;
    const vmas: PlanVma[] = [];
    // The scan's cursor over this mm, as khugepaged_scan_mm_slot() moves it.
    let address = 0;
    for (const v of mm.vmas) {
      const eligible = live && thpVmaAllowable(k.tunables, mm, v, "khugepaged");
      const hstart = vmaHstart(v), hend = vmaHend(v);
      let first = -1;
      if (eligible) {
        eligibleVmas++;
        if (hstart < hend) {
          const count = (hend - hstart) / PMD_SIZE;
          const pmdNo = hstart / PMD_SIZE;
          first = out;
          rows.push(mm.pt.dir, pmdNo - mm.pt.basePmd, count, pmdNo, v.flags, out);
          out += count;
        }
      } else if (live) {
        ineligibleVmas++;
      }
      vmas.push({ end: v.end, eligible, hstart, hend, out: first });
      if (!live || v.end <= address) continue;
      if (!eligible || address > hend) { chargedVmas++; continue; }
      address = Math.max(address, hstart);
      if (address < hend) address = hend;
    }
    mms.push({ name: mm.name, live, vmas });
  }
  return { mms, ranges: Uint32Array.from(rows), pmds: out, eligibleVmas, ineligibleVmas, chargedVmas };
}
