/**
 * The worker's side of the maps: every variant's frames, each task's map history, and
 * the answers to the page's requests, drawn at the size the page shows them (a cell of
 * many PMDs takes the mix of their states' colours). A row's cells are counted once and
 * then moved from frame to frame by the PMDs that changed, so following a run costs its
 * changes, not its maps.
 */
import { type FrameChanges, getVariant, PMD_SIZE } from "../../host/mod.ts";
import { mapLayout } from "./map_layout.ts";
import { MapHistory, pmdIndex, pmdNumber, STATES } from "./map_history.ts";
import { PMD_RGB } from "./pmd_colours.ts";
import type { FrameSummary, MapRef, PmdsInfo, Tile } from "./protocol.ts";

/** PMD_RGB flat, three bytes a state: the aggregation's inner loop reads it. */
const RGB = Uint8Array.from(PMD_RGB.flat());

/**
 * What a map row last showed: its states counted per cell at one frame, moved to the next
 * frame asked for by that frame's changes (not counted again), with a token that changes
 * whenever the cells do, so that an unchanged map is not sent again.
 */
interface Drawn {
  history: MapHistory;
  /** Index of the frame counted, in the task's history. */
  frame: number;
  start: number;
  end: number;
  counts: Uint16Array;
  token: string;
}

export class MapStore {
  /** By variant: frames stored, and each task's history. */
  #variants = new Map<string, { frames: number; tasks: Map<string, MapHistory> }>();
  /** By variant and task: what its row was last drawn from. */
  #drawn = new Map<string, Drawn>();
  #tokens = 0;

  /** Keep `frame`'s maps; returns what the page is sent of it. */
  push(frame: FrameChanges): FrameSummary {
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
        name: t.name, alive: t.alive, pmds: t.length,
        anonHugePagesKb: t.anonHugePagesKb, lazyFreeKb: t.lazyFreeKb, swapKb: t.swapKb,
      })),
    };
  }

  /** The task's history and the index of the ref's frame in it, if it has that frame and range. */
  #find(ref: MapRef): { h: MapHistory; f: number } | null {
    const h = this.#variants.get(ref.variant)?.tasks.get(ref.task);
    const f = h ? ref.frame - h.first : -1;
    if (!h || f < 0 || f >= h.length) return null;
    return ref.start < ref.end && ref.end <= h.shape(f).pmds ? { h, f } : null;
  }

  /**
   * One pixel per cell of the map's layout, each the mix of its PMDs' state colours; no
   * pixels (rgba null) when they are those of the token `ref.drawn` the page drew last.
   */
  tile(ref: MapRef): Tile {
    const l = mapLayout(ref.start, ref.end);
    const found = this.#find(ref);
    if (!found) return { map: ref, rgba: new Uint8ClampedArray(l.cells * 4), states: null, token: "" };
    const { h, f } = found, key = `${ref.variant}\u0000${ref.task}`;
    let d = this.#drawn.get(key);
    if (d && d.history === h && d.start === ref.start && d.end === ref.end && h.sameSegment(d.frame, f)) {
      if (h.move(d.frame, f, l.start, l.end, l.per, d.counts)) d.token = String(++this.#tokens);
      d.frame = f;
    } else {
      d = { history: h, frame: f, start: ref.start, end: ref.end, counts: new Uint16Array(l.cells * STATES), token: String(++this.#tokens) };
      h.count(f, l.start, l.end, l.per, d.counts);
      this.#drawn.set(key, d);
    }
    if (d.token === ref.drawn) return { map: ref, rgba: null, states: null, token: d.token };
    const rgba = new Uint8ClampedArray(l.cells * 4), counts = d.counts, states = new Array<number>(STATES).fill(0);
    for (let c = 0; c < l.cells; c++) {
      let r = 0, g = 0, b = 0, n = 0;
      for (let s = 0; s < STATES; s++) {
        const k = counts[c * STATES + s];
        r += k * RGB[s * 3];
        g += k * RGB[s * 3 + 1];
        b += k * RGB[s * 3 + 2];
        n += k;
        states[s] += k;
      }
      if (n === 0) continue;
      rgba[c * 4] = r / n;
      rgba[c * 4 + 1] = g / n;
      rgba[c * 4 + 2] = b / n;
      rgba[c * 4 + 3] = 255;
    }
    return { map: ref, rgba, states, token: d.token };
  }

  /** The states, addresses and (for one PMD) last scan status of PMDs [start, end) of a map. */
  pmds(ref: MapRef): PmdsInfo | null {
    const found = this.#find(ref);
    if (!found) return null;
    const { h, f } = found, { runs } = h.shape(f);
    const counts = new Uint32Array(STATES);
    h.count(f, ref.start, ref.end, ref.end - ref.start, counts);
    const scanned = ref.end - ref.start === 1 ? h.valueAt(f, ref.start) >> 8 : 0;
    return {
      map: ref, states: Array.from(counts),
      from: pmdNumber(runs, ref.start) * PMD_SIZE, to: (pmdNumber(runs, ref.end - 1) + 1) * PMD_SIZE,
      lastScan: scanned === 0 ? null : getVariant(ref.variant).traceString(scanned - 1),
    };
  }
}
