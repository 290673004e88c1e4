/**
 * A simulated mm as a captured process: its VMAs and PTEs read back into the snapshot's
 * per-page flags, as /proc would show them (pagemap, kpageflags and page_idle all
 * "read"). `khugesim report SCENARIO` reports each task at the end of a run this way;
 * importing the result gives back the PTEs the scan reads (pins, uffd-wp and special
 * mappings aside, which /proc does not show).
 */
import { PMD, PTE, PTE_FIELD, VMA } from "../core/layout.ts";
import { pteField } from "../core/pte.ts";
import type { Mm } from "../mm/mm.ts";
import { PAGE_SIZE, PMD_SIZE } from "../mm/vma.ts";
import { PAGE, type SnapshotProcess, type SnapshotSources, type SnapshotVma } from "./snapshot.ts";

/** What a snapshot of simulated mms can say: everything /proc shows. */
export const SIMULATED_SOURCES: SnapshotSources = { pagemap: true, pfns: true, kpageflags: true, pageIdle: true };

const PTE_TO_PAGE: ReadonlyArray<readonly [number, number]> = [
  [PTE.YOUNG, PAGE.YOUNG], [PTE.DIRTY, PAGE.DIRTY], [PTE.FOLIO_ANON, PAGE.ANON], [PTE.FOLIO_SWAPBACKED, PAGE.SWAPBACKED],
  [PTE.FOLIO_LRU, PAGE.LRU], [PTE.FOLIO_LOCKED, PAGE.LOCKED], [PTE.FOLIO_REFERENCED, PAGE.REFERENCED],
  [PTE.FOLIO_SWAPCACHE, PAGE.SWAPCACHE],
];

/** A PTE's low word as the page flags a capture would record. */
function pageFlags(lo: number): number {
  if ((lo & PTE.SWAP) !== 0) return PAGE.SWAP;
  if ((lo & PTE.PRESENT) === 0) return 0;
  if ((lo & PTE.ZERO) !== 0) return PAGE.PRESENT | PAGE.ZERO;
  let f: number = PAGE.PRESENT;
  for (const [pte, page] of PTE_TO_PAGE) if ((lo & pte) !== 0) f |= page;
  if (pteField(lo, PTE_FIELD.MAPCOUNT) <= 1) f |= PAGE.EXCLUSIVE;
  // The model's folios are naturally aligned (PhysMem hands out aligned blocks).
  if (pteField(lo, PTE_FIELD.ORDER) > 0) f |= PAGE.ALIGNED;
  return f;
}

function vmFlags(flags: number): string[] {
  const out = ["rd", "mr", "mw", "me", "ac"];
  if (flags & VMA.VM_WRITE) out.splice(1, 0, "wr");
  if (flags & VMA.VM_HUGEPAGE) out.push("hg");
  if (flags & VMA.VM_NOHUGEPAGE) out.push("nh");
  if (flags & VMA.VM_UFFD_ARMED) out.push("um");
  return out;
}

/** Pages of [start, end) of `mm` as captured flags and folio orders. */
function readPages(mm: Mm, start: number, end: number): { flags: Uint16Array; order: Uint8Array } {
  const n = (end - start) / PAGE_SIZE;
  const flags = new Uint16Array(n), order = new Uint8Array(n);
  const u32 = mm.pt.core.u32;
  for (let i = 0; i < n; i++) {
    const addr = start + i * PAGE_SIZE, pmdNo = Math.floor(addr / PMD_SIZE), idx = (addr % PMD_SIZE) / PAGE_SIZE;
    const huge = (mm.pt.entry(pmdNo) & PMD.HUGE) !== 0 ? mm.huge.get(pmdNo) : undefined;
    if (huge) {
      flags[i] = PAGE.PRESENT | PAGE.ANON | PAGE.LRU | PAGE.EXCLUSIVE | PAGE.PMD_MAPPED | PAGE.ALIGNED |
        (huge.swapbacked ? PAGE.SWAPBACKED : 0) | (huge.young ? PAGE.YOUNG : 0) | (huge.dirty ? PAGE.DIRTY : 0) |
        (idx === 0 ? PAGE.HEAD : 0);
      order[i] = 9;
      continue;
    }
    const t = mm.pt.table(pmdNo);
    if (t === 0) continue;
    const lo = u32[(t >>> 2) + 2 * idx];
    flags[i] = pageFlags(lo);
    order[i] = (flags[i] & PAGE.ZERO) !== 0 ? 0 : pteField(lo, PTE_FIELD.ORDER);
  }
  return { flags, order };
}

/** smaps' fields of a VMA, from its pages (Rss leaves the zero page out, as smaps does). */
function smapsOf(pages: { flags: Uint16Array }): Record<string, number> {
  let rss = 0, huge = 0, lazy = 0, swap = 0;
  for (const f of pages.flags) {
    if ((f & PAGE.SWAP) !== 0) swap += 4;
    if ((f & (PAGE.PRESENT | PAGE.ZERO)) !== PAGE.PRESENT) continue;
    rss += 4;
    if ((f & PAGE.PMD_MAPPED) !== 0) huge += 4;
    if ((f & (PAGE.ANON | PAGE.SWAPBACKED | PAGE.DIRTY)) === PAGE.ANON) lazy += 4;
  }
  return { Rss: rss, Anonymous: rss, AnonHugePages: huge, LazyFree: lazy, Swap: swap };
}

/** The mm as a captured process (pid: the mm's id, comm: its name). */
export function mmSnapshotProcess(mm: Mm): SnapshotProcess {
  const vmas = mm.vmas.map((v): SnapshotVma => {
    const pages = readPages(mm, v.start, v.end);
    return {
      start: v.start, end: v.end, perms: (v.flags & VMA.VM_WRITE) !== 0 ? "rw-p" : "r--p", offset: 0, dev: "00:00", inode: 0,
      path: "", vmFlags: vmFlags(v.flags), smaps: smapsOf(pages), pages,
    };
  });
  return { pid: mm.id, comm: mm.name, thpDisabled: mm.thpDisabled, vmas };
}
