/**
 * Instantiates the WASM core over a CoreMemory with web-standard APIs only, and exposes
 * its two scan cores (scalar and SIMD) behind the ScanCore interface.
 */
import type { CoreMemory } from "./core_memory.ts";
import type { ScanCore } from "./scan_core.ts";

/** An instantiated WASM core. */
export interface WasmCore {
  /** The instance's raw exports (scan, TLB and measuring functions). */
  readonly exports: WebAssembly.Exports;
  /** `scanPmds` and `isolatePmd`, one PTE at a time. */
  readonly scalar: ScanCore;
  /** `scanPmdsSimd` and `isolatePmd`. */
  readonly simd: ScanCore;
}

type ScanPmds = ScanCore["scanPmds"];
type IsolatePmd = ScanCore["isolatePmd"];

/** Read an AssemblyScript string (UTF-16, byte length in the word before it). */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

function exported<T>(exports: WebAssembly.Exports, name: string): T {
  const value = exports[name];
  if (typeof value !== "function") {
    throw new TypeError(`Cannot load the WASM core: export "${name}" is missing; rebuild with npm run build`);
  }
  return value as T;
}

/** Whether `bytes` start with WebAssembly's magic word, "\0asm". */
function isWasm(bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  return head.length === 4 && head[0] === 0x00 && head[1] === 0x61 && head[2] === 0x73 && head[3] === 0x6d;
}

async function instantiate(
  source: BufferSource | Response | URL, imports: WebAssembly.Imports,
): Promise<WebAssembly.Instance> {
  if (source instanceof URL) return instantiate(await fetch(source), imports);
  if (source instanceof Response) {
    if (!source.ok) throw new Error(`Cannot load the WASM core from "${source.url}": HTTP ${source.status}`);
    // Streaming compiles while downloading but needs the application/wasm content type.
    const type = source.headers.get("Content-Type");
    if (type?.startsWith("application/wasm")) {
      return (await WebAssembly.instantiateStreaming(source, imports)).instance;
    }
    const bytes = await source.arrayBuffer();
    // A dev server answers a file it does not have with its HTML page, status 200.
    if (!isWasm(bytes)) {
      throw new Error(`Cannot load the WASM core from "${source.url}": the WASM core is not built ` +
        `(the server sent ${type ?? "a response without a content type"}, not a WebAssembly module): run npm run build`);
    }
    return instantiate(bytes, imports);
  }
  return (await WebAssembly.instantiate(source, imports)).instance;
}

/**
 * Instantiate the WASM core on `memory`.
 *
 * @example
 * const core = await loadCore(new CoreMemory(), new URL("khugesim.wasm", import.meta.url));
 * core.simd.scanPmds(dir, 0, 64, pmdNo, 511, 64, 256, 0, 1, ring);
 */
export async function loadCore(memory: CoreMemory, source: BufferSource | Response | URL): Promise<WasmCore> {
  const mem = memory.memory;
  const abort = (msg: number, file: number, line: number, column: number): never => {
    throw new Error(`WASM core aborted: ${readString(mem, msg)} at ${readString(mem, file)}:${line}:${column}`);
  };
  const { exports } = await instantiate(source, { env: { memory: mem, abort } });
  const isolatePmd = exported<IsolatePmd>(exports, "isolatePmd");
  return {
    exports,
    scalar: { name: "wasm", scanPmds: exported<ScanPmds>(exports, "scanPmds"), isolatePmd },
    simd: { name: "simd", scanPmds: exported<ScanPmds>(exports, "scanPmdsSimd"), isolatePmd },
  };
}
