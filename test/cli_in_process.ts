/** The CLI's main() in this process, its stdout and stderr captured: no process to spawn. */
import { main } from "../host/node/cli.ts";

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `khugesim ...args` in this process; never rejects. Calls must not overlap. */
export async function runMain(...args: string[]): Promise<Outcome> {
  const out = { stdout: "", stderr: "" };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (key: "stdout" | "stderr") => ((chunk: string | Uint8Array) => {
    out[key] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  try {
    const code = await main(["node", "khugesim", ...args]);
    return { code, ...out };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}
