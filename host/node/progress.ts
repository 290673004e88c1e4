/**
 * Progress bars on stderr (cli-progress), drawn only when stderr is a terminal: one for
 * scenario runs, shown once a run has taken a second, and one for PMDs decided by a
 * full scan or runs done by a sweep, with the rate and the time left.
 */
import cliProgress from "cli-progress";
import type { RunProgress } from "../run/runner.ts";

const DELAY_MS = 1000;

/** A bar on stderr that hides the cursor while it draws and clears itself when stopped. */
function stderrBar(format: string, more: cliProgress.Options = {}, preset?: cliProgress.Preset): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: true, ...more }, preset);
}

function payload(p: RunProgress): Record<string, string> {
  return { variant: p.variant, t: p.timeS.toFixed(0), end: p.endS.toFixed(0) };
}

/** A progress callback for runs of `variants` variants, and a function that clears the bar. */
export function progressBar(variants: number): { onInterval: (p: RunProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { onInterval: () => {}, stop: () => {} };
  const started = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  let index = 0;
  let lastVariant = "";
  const onInterval = (p: RunProgress): void => {
    if (p.variant !== lastVariant) {
      if (lastVariant !== "") index++;
      lastVariant = p.variant;
    }
    const total = Math.ceil(p.endS) * variants;
    const value = Math.min(total, Math.floor(index * Math.ceil(p.endS) + p.timeS));
    if (!bar) {
      if (performance.now() - started < DELAY_MS) return;
      bar = stderrBar("{bar} {percentage}% | {variant}: {t} of {end} s simulated");
      bar.start(total, value, payload(p));
    }
    bar.setTotal(total);
    bar.update(value, payload(p));
  };
  return { onInterval, stop: () => bar?.stop() };
}

export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

const SILENT: ProgressBar = { update() {}, stop() {} };

/** Start a bar counting to `total` of `unit` (PMDs decided, runs done); a no-op unless stderr is a TTY. */
export function startProgressBar(total: number, label: string, unit = "PMDs"): ProgressBar {
  if (!process.stderr.isTTY || total <= 0) return SILENT;
  const bar = stderrBar(`${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
    { etaBuffer: 50, fps: 10 }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  bar.start(total, 0, { rate: "0" });
  return {
    update(done: number) {
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? done / s : 0;
      bar.update(done, { rate: rate >= 100 ? Math.round(rate).toLocaleString("en-US") : rate.toFixed(rate >= 10 ? 1 : 2) });
    },
    stop() {
      bar.stop();
    },
  };
}
