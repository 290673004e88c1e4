/**
 * Progress bars on stderr (cli-progress), drawn only when stderr is a terminal: one for
 * scenario runs by the work they do, shown once a run has taken a second, and one for
 * PMDs generated or decided by a full scan or runs done by a sweep, with the rate; each with
 * the time elapsed and the time left.
 */
import cliProgress from "cli-progress";
import type { RunProgress } from "../run/runner.ts";
import { runWork } from "../run/run_work.ts";
import type { Scenario } from "../scenario/scenario_schema.ts";

const DELAY_MS = 1000;

/** A bar on stderr that hides the cursor while it draws and clears itself when stopped. */
function stderrBar(format: string, more: cliProgress.Options = {}, preset?: cliProgress.Preset): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: true, ...more }, preset);
}

/**
 * A progress callback for runs of `scenario` under `variants` variants, and a function
 * that clears the bar. The bar follows the work done (runWork: accesses the TLB model
 * simulates), with the time elapsed and an estimate of the time left.
 */
export function progressBar(scenario: Scenario, variants: number, exact: boolean): { onInterval: (p: RunProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { onInterval: () => {}, stop: () => {} };
  const started = performance.now();
  const work = runWork(scenario, exact);
  const total = Math.max(1, Math.round(work.total * variants));
  let bar: cliProgress.SingleBar | null = null;
  // Each variant's work done: variants may run one after another or side by side.
  const done = new Map<string, number>();
  const onInterval = (p: RunProgress): void => {
    done.set(p.variant, work.doneAt(p.timeS));
    const value = Math.min(total, Math.round([...done.values()].reduce((a, b) => a + b, 0)));
    const s = (performance.now() - started) / 1000;
    const payload = { variant: p.variant, t: p.timeS.toFixed(0), elapsed: seconds(s), left: value > 0 ? seconds((s * (total - value)) / value) : "?" };
    if (!bar) {
      if (s * 1000 < DELAY_MS) return;
      bar = stderrBar("{bar} {percentage}% | {variant} at {t} s simulated | {elapsed} elapsed, ETA {left}");
      bar.start(total, value, payload);
    }
    bar.update(value, payload);
  };
  return { onInterval, stop: () => bar?.stop() };
}

/** A duration for a bar: "42s", "3m05s". */
function seconds(s: number): string {
  const n = Math.round(s);
  return n < 60 ? `${n}s` : `${Math.floor(n / 60)}m${String(n % 60).padStart(2, "0")}s`;
}

export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

const SILENT: ProgressBar = { update() {}, stop() {} };

/**
 * Start a bar counting to `total` of `unit` (PMDs generated or decided, runs done), the work
 * having begun at `t0`; a no-op unless stderr is a TTY.
 */
export function startProgressBar(total: number, label: string, unit = "PMDs", t0 = performance.now()): ProgressBar {
  if (!process.stderr.isTTY || total <= 0) return SILENT;
  const bar = stderrBar(`${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ` +
    "{elapsed} elapsed, ETA {left}", { fps: 10 }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { rate: "0", elapsed: "0s", left: "?" });
  return {
    update(done: number) {
      // The rate since the work began: the bar may start after it has done some.
      const s = (performance.now() - t0) / 1000;
      const rate = s > 0 ? done / s : 0;
      bar.update(done, {
        rate: rate >= 100 ? Math.round(rate).toLocaleString("en-US") : rate.toFixed(rate >= 10 ? 1 : 2),
        elapsed: seconds(s), left: rate > 0 ? seconds((total - done) / rate) : "?",
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * A PMD bar for work whose total the first update tells (`update(done, total)`), drawn
 * once the work has taken a second, so that a small map shows none; a no-op unless
 * stderr is a TTY.
 */
export function lazyProgressBar(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  const started = performance.now();
  let bar: ProgressBar | null = null;
  return {
    update: (done, total) => {
      if (bar === null && performance.now() - started >= DELAY_MS) bar = startProgressBar(total, label, "PMDs", started);
      bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}
