/**
 * Long-term GUP pins (`pin_user_pages(FOLL_WRITE | FOLL_LONGTERM)`, as io_uring fixed
 * buffers and vfio take them): the pages are faulted in for write and each folio gains
 * a reference its mappings do not explain, which is what makes khugepaged give up with
 * SCAN_PAGE_COUNT.
 */
import { PTE_FIELD } from "../core/layout.ts";
import { pteField, withPteField } from "../core/pte.ts";
import { touch } from "./fault.ts";
import type { Kernel } from "./kernel.ts";
import type { Mm } from "./mm.ts";
import { isNormalPage, pteWord } from "./pte_ops.ts";
import { PAGE_SIZE, PMD_SIZE } from "./vma.ts";

/** Pin every page of [start, start + len) once (faulting it in first); `unpin` drops one pin. */
export function pinUserPages(k: Kernel, mm: Mm, start: number, len: number, unpin = false): void {
  if (!unpin) touch(k, mm, start, len, true);
  for (let addr = start; addr < start + len; addr += PAGE_SIZE) {
    // A PMD-mapped THP keeps no per-page state here; khugepaged never scans it anyway.
    const t = mm.pt.writableTableIfAny(Math.floor(addr / PMD_SIZE));
    if (t === 0) continue;
    // After the table (perhaps a fresh copy of a shared one): a view taken before may end short of it.
    const u32 = k.core.u32;
    const w = pteWord(t, (addr % PMD_SIZE) / PAGE_SIZE);
    const lo = u32[w];
    if (!isNormalPage(lo)) continue;
    const pins = pteField(lo, PTE_FIELD.PINS);
    u32[w] = withPteField(lo, PTE_FIELD.PINS, unpin ? pins - 1 : pins + 1);
  }
}
