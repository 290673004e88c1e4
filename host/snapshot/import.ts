/**
 * A snapshot becomes mms of the simulated kernel: each captured process one mm, its
 * private anonymous VMAs (what the model's khugepaged collapses; file and shared VMAs
 * stay in the report only) and their pages as PTE words in core memory, PMD-mapped THPs
 * as huge PMDs. As a generated map does (host/synth/generate.ts), PMDs whose 512 PTEs
 * are alike share one PTE table, so a process of many alike PMDs (all untouched, all
 * swapped, all one state) costs few tables.
 *
 * Addresses: a process's VMAs keep their order and their offsets within a PMD (which
 * decide what khugepaged may collapse), and the first one its real address; a gap of
 * more than one empty PMD between two VMAs shrinks to one, so that the PMD directory
 * covers the mapped memory and not the 128 TiB a real address space spans. pfns are
 * synthetic (IMPORT_PFN_BASE): contiguous within a table, so a folio's pages stay
 * contiguous, and no physical page of the model backs them.
 */
import { PMD, PTE_TABLE_BYTES, PTES_PER_PMD, VMA } from "../core/layout.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import { PAGE_SIZE, PMD_SIZE } from "../mm/vma.ts";
import { SYNTH_PFN_BASE } from "../synth/plan.ts";
import { pagePteLo } from "./page_pte.ts";
import { isAnonPrivate, PAGE, type Snapshot, type SnapshotProcess, type SnapshotVma } from "./snapshot.ts";

/** Imported pfns start in the upper half of the synthetic pfn space, apart from generated maps'. */
export const IMPORT_PFN_BASE = SYNTH_PFN_BASE + 0x40000000;

/** One imported VMA: the captured one and where the mm maps it. */
export interface ImportedVma {
  snap: SnapshotVma;
  start: number;
  end: number;
}

export interface ImportedMm {
  mm: Mm;
  process: SnapshotProcess;
  vmas: ImportedVma[];
}

/** A snapshot that cannot be imported into a kernel: the reason, in a few words. */
export class ImportRefusal extends RangeError {
  constructor(readonly reason: string) {
    super(`Cannot import the snapshot: ${reason}`);
    this.name = "ImportRefusal";
  }
}

/** The mm's name for a captured process: "comm-pid". */
export function importedName(p: SnapshotProcess): string {
  return `${p.comm}-${p.pid}`;
}

/** The VMAs of `p` the model imports, at their model addresses (see the module comment). */
export function placeVmas(p: SnapshotProcess): ImportedVma[] {
  const out: ImportedVma[] = [];
  let shift = 0;
  for (const v of p.vmas.filter(isAnonPrivate)) {
    const prev = out.at(-1);
    if (prev !== undefined) {
      const emptyPmds = Math.floor(v.start / PMD_SIZE) - Math.floor((prev.snap.end - 1) / PMD_SIZE) - 1;
      if (emptyPmds > 1) shift += (emptyPmds - 1) * PMD_SIZE;
    }
    out.push({ snap: v, start: v.start - shift, end: v.end - shift });
  }
  return out;
}

/** The page at index `i` of `v` and the 511 after it all lie in one PMD-mapped THP. */
function pmdMappedAt(v: SnapshotVma, i: number): boolean {
  const f = v.pages!.flags;
  if (i + PTES_PER_PMD > f.length) return false;
  for (let j = i; j < i + PTES_PER_PMD; j++) if ((f[j] & PAGE.PMD_MAPPED) === 0) return false;
  return true;
}

/** PMDs of the imported VMAs that hold a present or swapped page: an upper bound of the tables an import allocates. */
function populatedPmds(vmas: ImportedVma[]): number {
  const seen = new Set<number>();
  for (const { snap, start } of vmas) {
    const f = snap.pages?.flags;
    if (!f) continue;
    for (let i = 0; i < f.length; i++) {
      if ((f[i] & (PAGE.PRESENT | PAGE.SWAP)) !== 0) seen.add(Math.floor((start + i * PAGE_SIZE) / PMD_SIZE));
    }
  }
  return seen.size;
}

/** Core memory an import of `s` takes at most: directories and one table per populated PMD. */
export function importBytes(s: Snapshot): number {
  let bytes = 0;
  for (const p of s.processes) {
    const vmas = placeVmas(p);
    if (vmas.length === 0) continue;
    const span = Math.ceil(vmas.at(-1)!.end / PMD_SIZE) - Math.floor(vmas[0].start / PMD_SIZE);
    bytes += span * 4 + 64 + PTE_TABLE_BYTES + populatedPmds(vmas) * PTE_TABLE_BYTES;
  }
  return bytes;
}

function vmaFlags(v: SnapshotVma): number {
  const has = (f: string) => v.vmFlags.includes(f);
  return (v.perms[1] === "w" ? VMA.VM_WRITE : 0) | (has("hg") ? VMA.VM_HUGEPAGE : 0) | (has("nh") ? VMA.VM_NOHUGEPAGE : 0) |
    (has("um") || has("uw") ? VMA.VM_UFFD_ARMED : 0);
}

/** Whether the VMA has an anon_vma: a page was written (or swapped); the zero page alone leaves none. */
function hasAnonVma(v: SnapshotVma): boolean {
  const f = v.pages?.flags;
  if (!f) return (v.smaps.Anonymous ?? 0) > 0 || (v.smaps.Swap ?? 0) > 0;
  return f.some((x) => (x & PAGE.SWAP) !== 0 || (x & (PAGE.PRESENT | PAGE.ZERO)) === PAGE.PRESENT);
}

/** FNV-1a over a table's low words: the key under which alike tables are found. */
function tableHash(lo: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < lo.length; i++) h = Math.imul(h ^ lo[i], 0x01000193);
  return h >>> 0;
}

/** Writes one mm's PMDs, sharing alike tables across the whole import. */
class TableWriter {
  readonly #tables = new Map<number, number[]>();
  #nextBlock = 0;
  constructor(readonly k: Kernel) {}

  pfnBlock(): number {
    return IMPORT_PFN_BASE + this.#nextBlock++ * PTES_PER_PMD;
  }

  /** Point `mm`'s PMD `pmdNo` at a table holding `lo` (an alike one if it exists). */
  write(mm: Mm, pmdNo: number, lo: Uint32Array): void {
    if (lo.every((x) => x === 0)) return;
    const h = tableHash(lo);
    const same = this.#tables.get(h) ?? [];
    for (const t of same) {
      const u32 = this.k.core.u32;
      let i = 0;
      while (i < PTES_PER_PMD && u32[(t >>> 2) + 2 * i] === lo[i]) i++;
      if (i === PTES_PER_PMD) { mm.pt.shareTable(pmdNo, t); return; }
    }
    const table = this.k.core.allocTable();
    const u32 = this.k.core.u32, w0 = table >>> 2, base = this.pfnBlock();
    for (let i = 0; i < PTES_PER_PMD; i++) {
      u32[w0 + 2 * i] = lo[i];
      u32[w0 + 2 * i + 1] = lo[i] === 0 ? 0 : base + i;
    }
    same.push(table);
    this.#tables.set(h, same);
    mm.pt.setEntry(pmdNo, table / PTE_TABLE_BYTES);
  }
}

function writeMm(w: TableWriter, mm: Mm, vmas: ImportedVma[], s: Snapshot): void {
  const lo = new Uint32Array(PTES_PER_PMD);
  let cur = -1;
  const flush = () => { if (cur >= 0) w.write(mm, cur, lo); lo.fill(0); };
  for (const { snap, start } of vmas) {
    const pages = snap.pages;
    if (!pages) continue;
    const writable = snap.perms[1] === "w";
    for (let i = 0; i < pages.flags.length; i++) {
      const addr = start + i * PAGE_SIZE;
      const pmdNo = Math.floor(addr / PMD_SIZE);
      if (pmdNo !== cur) { flush(); cur = pmdNo; }
      if (addr % PMD_SIZE === 0 && pmdMappedAt(snap, i)) {
        const head = w.pfnBlock(), f = pages.flags[i];
        mm.pt.setEntry(pmdNo, (PMD.HUGE | (head >>> 9)) >>> 0);
        mm.huge.set(pmdNo, {
          head, young: !s.sources.pageIdle || (f & PAGE.YOUNG) !== 0,
          dirty: !s.sources.kpageflags || (f & (PAGE.DIRTY | PAGE.SWAPBACKED)) !== 0,
          swapbacked: !s.sources.kpageflags || (f & PAGE.SWAPBACKED) !== 0,
        });
        i += PTES_PER_PMD - 1;
        cur = -1;
        continue;
      }
      lo[(addr % PMD_SIZE) / PAGE_SIZE] = pagePteLo(pages.flags[i], pages.order[i], writable, s.sources);
    }
  }
  flush();
}

/**
 * Import every process of `s` into `k` as an mm named "comm-pid", registered with
 * khugepaged where a VMA is eligible. Refused with an ImportRefusal, before anything is
 * allocated, when it cannot fit the kernel's core memory.
 *
 * @example
 * const imported = importSnapshot(kernel, await decodeSnapshot(bytes));
 * const report = fullScan(kernel, { configs: [{ variant: "baseline" }] });
 */
export function importSnapshot(k: Kernel, s: Snapshot): ImportedMm[] {
  const need = importBytes(s), free = k.core.maxBytes - k.core.usedBytes;
  if (need > free) {
    throw new ImportRefusal(`it needs up to ${need} bytes of core memory, and ${free} bytes of the ${k.core.maxBytes}-byte limit are free`);
  }
  const writer = new TableWriter(k);
  return s.processes.map((p) => {
    const mm = k.createMm(importedName(p));
    mm.thpDisabled = p.thpDisabled;
    const vmas = placeVmas(p);
    if (vmas.length > 0) {
      mm.pt.cover(Math.floor(vmas[0].start / PMD_SIZE), Math.ceil(vmas.at(-1)!.end / PMD_SIZE));
      for (const v of vmas) mm.insertVma({ start: v.start, end: v.end, flags: vmaFlags(v.snap), anonVma: hasAnonVma(v.snap) });
      writeMm(writer, mm, vmas, s);
      for (const v of mm.vmas) k.khugepagedEnterVma(mm, v);
    }
    return { mm, process: p, vmas };
  });
}
