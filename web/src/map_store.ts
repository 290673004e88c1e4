/**
 * The worker's side of the maps: every variant's frames, each task's map history, and
 * the answers to the page's requests, drawn at the size the page shows them (a cell of
 * many PMDs takes the mix of their states' colours).
 */
import { type Frame, getVariant, PMD_SIZE, PMD_STATES } from "../../host/mod.ts";
import { cellRange, mapLayout } from "./map_layout.ts";
import { MapHistory, pmdIndex, pmdNumber } from "./map_history.ts";
import { PMD_RGB } from "./pmd_colours.ts";
import type { FrameSummary, MapRef, PmdsInfo, Tile } from "./protocol.ts";

/** PMD_RGB flat, three bytes a state: the aggregation's inner loop reads it. */
const RGB = Uint8Array.from(PMD_RGB.flat());

export class MapStore {
  /** By variant: frames stored, and each task's history. */
  #variants = new Map<string, { frames: number; tasks: Map<string, MapHistory> }>();

  /** Keep `frame`'s maps; returns what the page is sent of it. */
  push(frame: Frame): FrameSummary {
    let v = this.#variants.get(frame.variant);
    if (!v) this.#variants.set(frame.variant, v = { frames: 0, tasks: new Map() });
    let cursor: FrameSummary["cursor"] = null;
    for (const t of frame.tasks) {
      let h = v.tasks.get(t.name);
      if (!h) v.tasks.set(t.name, h = new MapHistory(v.frames));
      h.push(t);
      if (frame.cursor?.task === t.name) {
        cursor = { task: t.name, pmd: pmdIndex(t.pmdRuns, Math.floor(frame.cursor.address / PMD_SIZE)) };
      }
    }
    v.frames++;
    return {
      variant: frame.variant, timeS: frame.timeS, endS: frame.endS, cursor,
      tasks: frame.tasks.map((t) => ({
        name: t.name, alive: t.alive, pmds: t.pmds.length,
        anonHugePagesKb: t.anonHugePagesKb, lazyFreeKb: t.lazyFreeKb, swapKb: t.swapKb,
      })),
    };
  }

  #map(ref: MapRef): { cells: Uint16Array; runs: number[] } | null {
    const h = this.#variants.get(ref.variant)?.tasks.get(ref.task);
    const f = h ? ref.frame - h.first : -1;
    return h && f >= 0 && f < h.length ? h.at(f) : null;
  }

  /** One pixel per cell of the map's layout, each the mix of its PMDs' state colours. */
  tile(ref: MapRef): Tile {
    const l = mapLayout(ref.start, ref.end);
    const rgba = new Uint8ClampedArray(l.cells * 4);
    const map = this.#map(ref);
    if (!map) return { map: ref, rgba };
    const { cells } = map;
    for (let c = 0; c < l.cells; c++) {
      const [first, end] = cellRange(l, c);
      let r = 0, g = 0, b = 0, n = 0;
      for (let i = first; i < Math.min(end, cells.length); i++, n++) {
        const s = (cells[i] & 0xff) * 3;
        r += RGB[s];
        g += RGB[s + 1];
        b += RGB[s + 2];
      }
      if (n === 0) continue;
      rgba[c * 4] = r / n;
      rgba[c * 4 + 1] = g / n;
      rgba[c * 4 + 2] = b / n;
      rgba[c * 4 + 3] = 255;
    }
    return { map: ref, rgba };
  }

  /** The states, addresses and (for one PMD) last scan status of PMDs [start, end) of a map. */
  pmds(ref: MapRef): PmdsInfo | null {
    const map = this.#map(ref);
    if (!map || ref.start >= ref.end || ref.end > map.cells.length) return null;
    const states = PMD_STATES.map(() => 0);
    for (let i = ref.start; i < ref.end; i++) states[map.cells[i] & 0xff]++;
    const scanned = map.cells[ref.start] >> 8;
    return {
      map: ref, states,
      from: pmdNumber(map.runs, ref.start) * PMD_SIZE, to: (pmdNumber(map.runs, ref.end - 1) + 1) * PMD_SIZE,
      lastScan: ref.end - ref.start !== 1 || scanned === 0 ? null : getVariant(ref.variant).traceString(scanned - 1),
    };
  }
}
