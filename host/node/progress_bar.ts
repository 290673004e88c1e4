/**
 * A progress bar on stderr for long runs (cli-progress): PMDs decided, the rate and
 * the time left. It draws only when stderr is a terminal; otherwise it does nothing.
 */
import cliProgress from "cli-progress";

export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

const SILENT: ProgressBar = { update() {}, stop() {} };

/** Start a bar counting to `total` PMDs; a no-op unless stderr is a TTY. */
export function startProgressBar(total: number, label: string): ProgressBar {
  if (!process.stderr.isTTY || total <= 0) return SILENT;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} PMDs | {rate} PMDs/s | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  bar.start(total, 0, { rate: "0" });
  return {
    update(done: number) {
      const s = (performance.now() - t0) / 1000;
      bar.update(done, { rate: s > 0 ? Math.round(done / s).toLocaleString("en-US") : "0" });
    },
    stop() {
      bar.stop();
    },
  };
}
