/**
 * MADV_COLLAPSE (`madvise_collapse`): a synchronous collapse of every PMD in range with
 * `cc->is_khugepaged` false — no max_ptes_* limits, no referenced test, no lazy-free
 * skip, and no effect on khugepaged's list or counters.
 */
import { ScanResult } from "../core/scan_result.ts";
import type { Kernel } from "../mm/kernel.ts";
import { type Mm, pmdOf } from "../mm/mm.ts";
import { PMD_SIZE, type Vma } from "../mm/vma.ts";
import { collapseHugePage, revalidate } from "./collapse.ts";
import type { CollapseControl } from "./collapse_control.ts";
import { countScanResult, scanFlags, traceScanPmd } from "./scan_pmd_exit.ts";
import { readRecord } from "../kernel/scan_record.ts";
import { thpVmaAllowable } from "../mm/thp_policy.ts";

const S = ScanResult;

/** errno values madvise returns (negated), by name. */
export const ERRNO = { EAGAIN: 11, ENOMEM: 12, EBUSY: 16, EINVAL: 22 } as const;

/** The errno `madvise_collapse` reports for its last failure. */
export function collapseErrno(result: number): keyof typeof ERRNO {
  switch (result) {
    case S.ALLOC_HUGE_PAGE_FAIL: return "ENOMEM";
    case S.CGROUP_CHARGE_FAIL: case S.EXCEED_NONE_PTE: return "EBUSY";
    case S.PAGE_COUNT: case S.PAGE_LOCK: case S.PAGE_LRU: case S.DEL_PAGE_LRU: case S.PAGE_FILLED:
    case S.PAGE_HAS_PRIVATE: case S.PAGE_DIRTY_OR_WRITEBACK:
      return "EAGAIN";
    default: return "EINVAL";
  }
}

/**
 * `madvise_collapse()` for [start, end) inside one VMA (madvise(2) calls it per VMA):
 * returns 0 or a negative errno. The range is cut to whole PMDs; a PMD that is
 * already huge counts as done.
 */
export function madviseCollapse(k: Kernel, mm: Mm, vma: Vma, start: number, end: number): number {
  if (!thpVmaAllowable(k.tunables, mm, vma, "collapse")) return -ERRNO.EINVAL;
  const hstart = Math.ceil(start / PMD_SIZE) * PMD_SIZE;
  const hend = Math.floor(end / PMD_SIZE) * PMD_SIZE;
  if (hstart >= hend) return hstart > hend && k.variant.collapseInvertedRangeFails ? -ERRNO.EINVAL : 0;
  const cc: CollapseControl = { isKhugepaged: false, comm: mm.name, pid: mm.id, cpu: 0, ts: k.now };
  const kh = k.tunables.khugepaged;
  let thps = 0;
  let lastFail: number = S.FAIL;
  for (let addr = hstart; addr < hend; addr += PMD_SIZE) {
    // After a collapse attempt dropped mmap_lock the VMA is looked up again; nothing
    // runs concurrently here, so revalidating every PMD gives the same answers.
    const rv = revalidate(k, mm, addr, cc);
    let result = rv.result;
    if (rv.vma) {
      const pmdNo = pmdOf(addr);
      k.scanCore.scanPmds(mm.pt.dir, pmdNo - mm.pt.basePmd, 1, pmdNo, kh.max_ptes_none, kh.max_ptes_swap,
        kh.max_ptes_shared, rv.vma.flags, scanFlags(k.variant, cc.isKhugepaged), k.ring);
      const rec = readRecord(k.core.u32, k.ring);
      countScanResult(k, rec.result);
      result = rec.result === S.SUCCEED ? collapseHugePage(k, mm, addr, rec.referenced, rec.unmapped, cc).result : rec.result;
      traceScanPmd(k, cc, mm, rec, result);
    }
    if (result === S.SUCCEED || result === S.PMD_MAPPED) {
      thps++;
      continue;
    }
    lastFail = result;
    if (!k.variant.collapseContinues(result)) break;
  }
  return thps === (hend - hstart) / PMD_SIZE ? 0 : -ERRNO[collapseErrno(lastFail)];
}
