/**
 * A real kernel's khugepaged trace as text: ftrace's own format (`/sys/kernel/tracing/trace`,
 * a tracing instance's `trace`, khugesim's `--trace`), `trace-cmd report`, and
 * `perf script` of the huge_memory tracepoints. Only the huge_memory events khugepaged
 * and MADV_COLLAPSE emit are accepted; a line that is none of them is refused by number.
 */

/** One event line: who emitted it, when (s), which event and its `key=value` fields. */
export interface TraceRecord {
  /** 1-based line number in the file. */
  line: number;
  comm: string;
  pid: number;
  ts: number;
  event: string;
  fields: Record<string, string>;
}

/** A line that is not a trace of these events: its number and why. */
export class TraceParseError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line} ${reason}`);
    this.name = "TraceParseError";
  }
}

/** The events check-trace reads (include/trace/events/huge_memory.h). */
export const KHUGEPAGED_EVENTS: readonly string[] = [
  "mm_khugepaged_scan_pmd", "mm_collapse_huge_page", "mm_collapse_huge_page_isolate", "mm_collapse_huge_page_swapin",
  "mm_khugepaged_scan",
];

/**
 * ftrace and trace-cmd: "comm-pid [cpu] flags? ts: event: fields" (trace-cmd prints no
 * flags unless asked); perf script: "comm pid [cpu] ts: huge_memory:event: fields".
 */
const FTRACE_LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d{3})\]\s+(?:[\w.]{4,6}\s+)?(\d+\.\d+):\s+(\w+):\s*(.*)$/;
const PERF_LINE = /^\s*(.+?)\s+(\d+)\s+\[(\d{3})\]\s+(\d+\.\d+):\s+huge_memory:(\w+):\s*(.*)$/;

/** Lines trace-cmd report and perf print around the events: headers, empty CPUs, lost-event notes. */
const CHROME = [/^#/, /^\s*$/, /^cpus=\d+$/, /^version = \d+/, /^CPU \d+ is empty$/, /^CPU:\d+ \[LOST \d+ EVENTS\]$/];

/** "mm=0x1, status=succeeded" → {mm: "0x1", status: "succeeded"}; null if a field is not key=value. */
function parseFields(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const m = /^\s*(\w+)=(\S*)\s*$/.exec(part);
    if (!m) return null;
    out[m[1]] = m[2];
  }
  return out;
}

/** Every event of `text` in file order; throws TraceParseError at the first line that is not one. */
export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, i) => {
    const l = raw.replace(/\r$/, "");
    if (CHROME.some((re) => re.test(l))) return;
    const m = PERF_LINE.exec(l) ?? FTRACE_LINE.exec(l);
    const quoted = JSON.stringify(l.length > 80 ? `${l.slice(0, 77)}...` : l);
    if (!m) throw new TraceParseError(i + 1, `is not an ftrace, trace-cmd report or perf script event line: ${quoted}`);
    const [, comm, pid, , ts, event, body] = m;
    if (!KHUGEPAGED_EVENTS.includes(event)) {
      throw new TraceParseError(i + 1, `is a ${event} event, not one of ${KHUGEPAGED_EVENTS.join(", ")}: ${quoted}`);
    }
    const fields = parseFields(body);
    if (fields === null) throw new TraceParseError(i + 1, `has fields that are not key=value pairs: ${quoted}`);
    if (event === "mm_khugepaged_scan_pmd") {
      for (const key of ["mm", "status", "referenced", "none_or_zero"]) {
        if (!(key in fields)) throw new TraceParseError(i + 1, `is an mm_khugepaged_scan_pmd event without ${key}=: ${quoted}`);
      }
    }
    out.push({ line: i + 1, comm: comm.trim(), pid: Number(pid), ts: Number(ts), event, fields });
  });
  if (out.length === 0) throw new TraceParseError(lines.length, "ends the file, which holds no huge_memory events");
  return out;
}
