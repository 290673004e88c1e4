/**
 * fork and exit of a task's mm. fork copies the page tables: every mapped folio
 * becomes shared (mapcount 2, write-protected for COW); exit unmaps everything and
 * tells khugepaged.
 */
import { PMD, PTE, VMA } from "../core/layout.ts";
import { folioMapcount, folioPfn, pteNormal, ptePresent, withFolioMapcount, withPteBits } from "../core/pte.ts";
import type { Kernel, Sharers } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { pteWord } from "./pte_ops.ts";
import { zapRange } from "./zap.ts";
import { MmuGather } from "./mmu_gather.ts";
import { copyHugeZeroPmd } from "./huge_zero.ts";
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
    const e = parent.pt.entry(pmdNo);
    if (e === 0) continue;
    // Droppability is the VMA's: a PMD may hold a VM_DROPPABLE VMA beside a normal one.
    const vmas = parent.vmasOverlapping(pmdNo * PMD_SIZE, (pmdNo + 1) * PMD_SIZE);
    const dropped = vmas.filter((v) => (v.flags & VMA.VM_DROPPABLE) !== 0);
    if (dropped.length > 0 && dropped.length === vmas.length) continue;
    const droppedAt = (addr: number) => dropped.some((v) => addr >= v.start && addr < v.end);
    if (parent.hugeZero.has(pmdNo)) {
      copyHugeZeroPmd(parent, child, pmdNo);
      continue;
    }
    if ((e & PMD.HUGE) !== 0) {
      const h = parent.huge.get(pmdNo)!;
      child.pt.setEntry(pmdNo, e);
      // copy_huge_pmd(): the child's PMD is write-protected and old; the pins are the parent's.
      child.huge.set(pmdNo, { ...h, young: false, pins: undefined });
      addSharer(k.sharers, h.head, pmdNo * PMD_SIZE, parent, child);
      continue;
    }
    const src = parent.pt.writableTable(pmdNo);
    const dst = child.pt.writableTable(pmdNo);
    const m = u32();
    for (let j = 0; j < 512; j++) {
      const w = pteWord(src, j), d = pteWord(dst, j);
      if (dropped.length > 0 && droppedAt(pmdNo * PMD_SIZE + j * 4096)) continue;
      let lo = m[w];
      if (pteNormal(lo)) {
        lo = withFolioMapcount(withPteBits(lo, 0, PTE.WRITE), folioMapcount(lo) + 1);
        m[w] = lo;
        addSharer(k.sharers, folioPfn(lo, m[w + 1]), pmdNo * PMD_SIZE + j * 4096, parent, child);
      }
      // __copy_present_ptes(): the child's copy of a present PTE is old; only the
      // parent has used the page.
      m[d] = ptePresent(lo) ? withPteBits(lo, 0, PTE.YOUNG) : lo;
      m[d + 1] = m[w + 1];
    }
  }
  // dup_mmap() ends with flush_tlb_mm(): the parent's write-protected PTEs must fault.
  parent.flushTlbMm();
  if (parent.registered) k.hooks.enter(child);
  return child;
}

function addSharer(sharers: Sharers, head: number, addr: number, parent: Mm, child: Mm): void {
  const sh = sharers.get(head);
  if (sh) sh.mms.add(child);
  else sharers.set(head, { addr, mms: new Set([parent, child]) });
}

/** exit(): unmap every VMA, free the page tables' pages, leave khugepaged's list. */
export function exitMm(k: Kernel, mm: Mm): void {
  if (mm.users === 0) return;
  const tlb = new MmuGather(mm, true);
  for (const v of mm.vmas) {
    for (let addr = v.start; addr < v.end;) {
      const pmdNo = Math.floor(addr / PMD_SIZE);
      const to = Math.min(v.end, (pmdNo + 1) * PMD_SIZE);
      zapRange(k, mm, pmdNo, addr, to, tlb);
      addr = to;
    }
  }
  for (let i = 0; i < mm.pt.length; i++) mm.pt.dropTable(mm.pt.basePmd + i);
  tlb.finish();
  mm.vmas.length = 0;
  mm.users = 0;
  k.hooks.exit(mm);
}
