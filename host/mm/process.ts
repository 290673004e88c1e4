/**
 * fork and exit of a task's mm. fork copies the page tables: every mapped folio
 * becomes shared (mapcount 2, write-protected for COW); exit unmaps everything and
 * tells khugepaged.
 */
import { PMD, PTE, PTE_FIELD, VMA } from "../core/layout.ts";
import { withPteField } from "../core/pte.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { folioHead, isNormalPage, mapcountOf, pteWord } from "./pte_ops.ts";
import { zapRange } from "./madvise.ts";
import { MmuGather } from "./mmu_gather.ts";
import { PMD_SIZE } from "./vma.ts";

/** fork(): a child mm sharing every page of `parent` copy-on-write. */
export function fork(k: Kernel, parent: Mm, name: string): Mm {
  const child = k.createMm(name);
  const u32 = () => k.core.u32;
  for (const v of parent.vmas) {
    // VM_DROPPABLE mappings are wiped on fork: the child starts with empty ones.
    child.insertVma({ ...v, anonVma: v.anonVma && (v.flags & VMA.VM_DROPPABLE) === 0 });
  }
  child.pt.cover(parent.pt.basePmd, parent.pt.basePmd + parent.pt.length);
  for (let i = 0; i < parent.pt.length; i++) {
    const pmdNo = parent.pt.basePmd + i;
    const vma = parent.findVma(pmdNo * PMD_SIZE) ?? parent.findVma(pmdNo * PMD_SIZE + PMD_SIZE - 1);
    if (vma && (vma.flags & VMA.VM_DROPPABLE) !== 0) continue;
    const e = parent.pt.entry(pmdNo);
    if (e === 0) continue;
    if ((e & PMD.HUGE) !== 0) {
      const h = parent.huge.get(pmdNo)!;
      child.pt.setEntry(pmdNo, e);
      // copy_huge_pmd(): the child's PMD is write-protected and old.
      child.huge.set(pmdNo, { ...h, young: false });
      addSharer(k, h.head, pmdNo * PMD_SIZE, parent, child);
      continue;
    }
    const src = parent.pt.writableTable(pmdNo);
    const dst = child.pt.writableTable(pmdNo);
    const m = u32();
    for (let j = 0; j < 512; j++) {
      const w = pteWord(src, j), d = pteWord(dst, j);
      let lo = m[w];
      if (isNormalPage(lo)) {
        lo = withPteField(lo & ~PTE.WRITE, PTE_FIELD.MAPCOUNT, mapcountOf(lo) + 1);
        m[w] = lo;
        addSharer(k, folioHead(lo, m[w + 1]), pmdNo * PMD_SIZE + j * 4096, parent, child);
      }
      // __copy_present_ptes(): the child's copy of a present PTE is old; only the
      // parent has used the page.
      m[d] = (lo & PTE.PRESENT) !== 0 ? lo & ~PTE.YOUNG : lo;
      m[d + 1] = m[w + 1];
    }
  }
  // dup_mmap() ends with flush_tlb_mm(): the parent's write-protected PTEs must fault.
  parent.flushTlbMm();
  if (parent.registered) k.hooks.enter(child);
  return child;
}

function addSharer(k: Kernel, head: number, addr: number, parent: Mm, child: Mm): void {
  const sh = k.sharers.get(head);
  if (sh) sh.mms.add(child);
  else k.sharers.set(head, { addr, mms: new Set([parent, child]) });
}

/** exit(): unmap every VMA, free the page tables' pages, leave khugepaged's list. */
export function exitMm(k: Kernel, mm: Mm): void {
  if (mm.users === 0) return;
  const tlb = new MmuGather(mm, true);
  for (const v of mm.vmas) {
    for (let addr = v.start; addr < v.end;) {
      const pmdNo = Math.floor(addr / PMD_SIZE);
      const to = Math.min(v.end, (pmdNo + 1) * PMD_SIZE);
      zapRange(k, mm, v, pmdNo, addr, to, tlb);
      addr = to;
    }
  }
  for (let i = 0; i < mm.pt.length; i++) mm.pt.dropTable(mm.pt.basePmd + i);
  tlb.finish();
  mm.vmas.length = 0;
  mm.users = 0;
  k.hooks.exit(mm);
}
