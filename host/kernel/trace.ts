/**
 * Trace events of `TRACE_SYSTEM huge_memory`, recorded with the simulated clock and
 * printed either in ftrace's text format (so a script written for a real kernel's
 * trace_pipe reads ours) or as JSON Lines.
 */
export type TraceValue = number | string | boolean;

export interface TraceEvent {
  /** Simulated time in nanoseconds. */
  ts: number;
  comm: string;
  pid: number;
  cpu: number;
  event: string;
  /** Field values in the order of the kernel's TP_printk. */
  fields: ReadonlyArray<readonly [string, TraceValue]>;
}

/** How each event's fields print (TP_printk formats of include/trace/events/huge_memory.h). */
const FORMATS: Record<string, Record<string, "ptr" | "pfn" | "int" | "str" | "bool">> = {
  mm_khugepaged_scan_pmd: { mm: "ptr", scan_pfn: "pfn", referenced: "int", none_or_zero: "int", status: "str", unmapped: "int" },
  // The mTHP series (7.2) appends `order` to the collapse events.
  mm_collapse_huge_page: { mm: "ptr", isolated: "int", status: "str", order: "int" },
  mm_collapse_huge_page_isolate: { scan_pfn: "pfn", none_or_zero: "int", referenced: "int", status: "str", order: "int" },
  mm_collapse_huge_page_swapin: { mm: "ptr", swapped_in: "int", referenced: "int", ret: "int" },
  mm_khugepaged_scan: { mm: "ptr", progress: "int", full_scan_finished: "bool" },
};

/** The events khugesim emits. */
export const TRACE_EVENTS: readonly string[] = Object.keys(FORMATS);

/** `%p` of an mm: a stable stand-in for the kernel's hashed pointer. */
export function hashedPointer(id: number): string {
  let x = (Math.imul(id + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  return x.toString(16).padStart(16, "0");
}

function formatValue(kind: string, v: TraceValue): string {
  switch (kind) {
    case "ptr": return String(v);
    // scan_pfn is an unsigned long: "no folio" (-1) prints as all ones.
    case "pfn": return v === -1 ? "0xffffffffffffffff" : `0x${(v as number).toString(16)}`;
    case "bool": return v ? "1" : "0";
    default: return String(v);
  }
}

/** Format one event as an ftrace text line. */
export function formatFtrace(e: TraceEvent): string {
  const fmt = FORMATS[e.event];
  if (!fmt) throw new RangeError(`Unknown trace event "${e.event}"`);
  const body = e.fields.map(([k, v]) => `${k}=${formatValue(fmt[k], v)}`).join(", ");
  const us = Math.floor(e.ts / 1000);
  const ts = `${Math.floor(us / 1e6)}`.padStart(5) + "." + `${us % 1e6}`.padStart(6, "0");
  return `${e.comm.padStart(16)}-${String(e.pid).padEnd(7)} [${String(e.cpu).padStart(3, "0")}] ..... ${ts}: ${e.event}: ${body}`;
}

/** The header ftrace prints above a `nop` tracer's buffer. */
export function ftraceHeader(entries: number, cpus: number): string {
  return [
    "# tracer: nop",
    "#",
    `# entries-in-buffer/entries-written: ${entries}/${entries}   #P:${cpus}`,
    "#",
    "#                                _-----=> irqs-off/BH-disabled",
    "#                               / _----=> need-resched",
    "#                              | / _---=> hardirq/softirq",
    "#                              || / _--=> preempt-depth",
    "#                              ||| / _-=> migrate-disable",
    "#                              |||| /     delay",
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    "#              | |         |   |||||     |         |",
  ].join("\n");
}

/** Format one event as a JSON object for JSON Lines (time in seconds). */
export function formatJson(e: TraceEvent): string {
  const o: Record<string, TraceValue> = { ts: e.ts / 1e9, task: e.comm, pid: e.pid, event: e.event };
  for (const [k, v] of e.fields) o[k] = v;
  return JSON.stringify(o);
}

/** Collects events in order; `enabled` false records nothing (the cost of a disabled tracepoint). */
export class Tracer {
  readonly events: TraceEvent[] = [];
  constructor(public enabled = true) {}

  emit(e: TraceEvent): void {
    if (this.enabled) this.events.push(e);
  }

  /** The whole buffer in ftrace text format, with its header. */
  ftrace(cpus = 2): string {
    return [ftraceHeader(this.events.length, cpus), ...this.events.map(formatFtrace)].join("\n") + "\n";
  }

  /** The whole buffer as JSON Lines. */
  jsonLines(): string {
    return this.events.map(formatJson).join("\n") + (this.events.length ? "\n" : "");
  }
}
