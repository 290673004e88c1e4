/** A progress bar on stderr for long runs: only on a terminal, and only once a run has taken a second. */
import { SingleBar } from "cli-progress";
import type { RunProgress } from "../run/runner.ts";

const DELAY_MS = 1000;

function payload(p: RunProgress): Record<string, string> {
  return { variant: p.variant, t: p.timeS.toFixed(0), end: p.endS.toFixed(0) };
}

/** A progress callback for runs of `variants` variants, and a function that clears the bar. */
export function progressBar(variants: number): { onInterval: (p: RunProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { onInterval: () => {}, stop: () => {} };
  const started = performance.now();
  let bar: SingleBar | null = null;
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
      bar = new SingleBar({
        stream: process.stderr,
        format: "{bar} {percentage}% | {variant}: {t} of {end} s simulated",
        hideCursor: true,
        clearOnComplete: true,
      });
      bar.start(total, value, payload(p));
    }
    bar.setTotal(total);
    bar.update(value, payload(p));
  };
  return { onInterval, stop: () => bar?.stop() };
}
