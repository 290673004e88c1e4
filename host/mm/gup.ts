/**
 * Long-term GUP pins (`pin_user_pages(FOLL_WRITE | FOLL_LONGTERM)`, as io_uring fixed
 * buffers and vfio take them): the pages are faulted in for write and each folio gains
 * a reference its mappings do not explain, which is what makes khugepaged give up with
 * SCAN_PAGE_COUNT.
 */
import { PTE_FIELD } from "../core/layout.ts";
import { folioPins, pteNormal, withFolioPins } from "../core/pte.ts";
import { touch } from "./fault.ts";
import type { Kernel } from "./kernel.ts";
import { type Mm, pmdOf, pteIndexOf } from "./mm.ts";
import { forEachPte } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE } from "./vma.ts";

/**
 * Pin every page of [start, start + len) once (faulting it in first); `unpin` drops one
 * pin. `start` is page aligned.
 */
export function pinUserPages(k: Kernel, mm: Mm, start: number, len: number, unpin = false): void {
  if (!unpin) touch(k, mm, start, len, true);
  const end = start + len;
  for (let addr = start; addr < end;) {
    const pmdNo = pmdOf(addr);
    const to = Math.min(end, (pmdNo + 1) * PMD_SIZE);
    const h = mm.huge.get(pmdNo);
    if (h) {
      // A PMD-mapped THP keeps its pins beside the PMD, for the PTEs a split gives it.
      h.pins ??= new Uint8Array(512);
      const max = (1 << PTE_FIELD.PINS.bits) - 1;
      for (let i = pteIndexOf(addr); i <= pteIndexOf(to - PAGE_SIZE); i++) {
        h.pins[i] = Math.min(max, Math.max(0, h.pins[i] + (unpin ? -1 : 1)));
      }
    }
    forEachPte(mm, pmdNo, addr, to, (u32, w) => {
      const lo = u32[w];
      if (!pteNormal(lo)) return;
      const pins = folioPins(lo);
      u32[w] = withFolioPins(lo, unpin ? pins - 1 : pins + 1);
    });
    addr = to;
  }
}
