/**
 * The shared `WebAssembly.Memory` that page tables, scan records and TLB state live
 * in, with the host's allocator over it. The host owns the layout; the core only reads
 * tables and writes records at offsets it is given.
 */
import { CORE_RESERVED_BYTES, PTE_TABLE_BYTES } from "./layout.ts";

const WASM_PAGE = 65536;
/** WASM32 addresses 4 GiB; Node 20 caps a shared memory there too. */
export const MAX_CORE_BYTES = 4 * 1024 * 1024 * 1024;

export interface CoreMemoryOptions {
  /** Upper bound of the memory in bytes (a multiple of 64 KiB, at most 4 GiB). */
  maxBytes?: number;
  /** A memory to adopt instead of creating one (a worker receiving the host's memory). */
  memory?: WebAssembly.Memory;
}

/** Shared core memory with a bump allocator and a free list of PTE tables. */
export class CoreMemory {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  #top = CORE_RESERVED_BYTES;
  #freeTables: number[] = [];
  #u32: Uint32Array;
  /** Whether the memory was handed in (a worker's): another thread may grow it. */
  readonly #adopted: boolean;
  #runs = 0;

  constructor(options: CoreMemoryOptions = {}) {
    const maxBytes = options.maxBytes ?? MAX_CORE_BYTES;
    if (!(Number.isInteger(maxBytes) && maxBytes % WASM_PAGE === 0 && maxBytes > CORE_RESERVED_BYTES &&
      maxBytes <= MAX_CORE_BYTES)) {
      throw new RangeError(`Core memory maxBytes must be a multiple of 65536 up to 4 GiB, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
    this.memory = options.memory ?? new WebAssembly.Memory({
      initial: CORE_RESERVED_BYTES / WASM_PAGE + 1,
      maximum: maxBytes / WASM_PAGE,
      shared: true,
    });
    this.#adopted = options.memory !== undefined;
    this.#u32 = new Uint32Array(this.memory.buffer);
  }

  /** Bytes handed out so far (the high-water mark of the allocator). */
  get usedBytes(): number {
    return this.#top;
  }

  /**
   * A 32-bit view of the whole memory, renewed after growth. Reading a shared memory's
   * `buffer` costs a new SharedArrayBuffer object each time, so an own memory is looked
   * at again only when alloc() grows it.
   */
  get u32(): Uint32Array {
    if (this.#adopted && this.#u32.byteLength !== this.memory.buffer.byteLength) this.#u32 = new Uint32Array(this.memory.buffer);
    return this.#u32;
  }

  /** Allocate `bytes` zeroed bytes aligned to `align`; throws RangeError past `maxBytes`. */
  alloc(bytes: number, align = 8): number {
    const start = Math.ceil(this.#top / align) * align;
    const end = start + bytes;
    if (end > this.maxBytes) {
      throw new RangeError(
        `Core memory exhausted: ${bytes} more bytes would need ${end} bytes, the limit is ${this.maxBytes}`,
      );
    }
    const have = this.u32.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / WASM_PAGE));
      this.#u32 = new Uint32Array(this.memory.buffer);
    }
    this.#top = end;
    return start;
  }

  /** Check that `bytes` more could be allocated, before anything is written. */
  reserveCheck(bytes: number, what: string): void {
    if (this.#top + bytes > this.maxBytes) {
      throw new RangeError(`${what} needs ${this.#top + bytes} bytes of core memory, the limit is ${this.maxBytes}`);
    }
  }

  /** A zeroed, 4 KiB-aligned PTE table. */
  allocTable(): number {
    const t = this.#freeTables.pop();
    if (t === undefined) return this.alloc(PTE_TABLE_BYTES, PTE_TABLE_BYTES);
    this.u32.fill(0, t >>> 2, (t + PTE_TABLE_BYTES) >>> 2);
    return t;
  }

  /** Count a scenario run in (`+1`) or out (`-1`): runScenario does, and rewind() reads the count. */
  countRun(delta: 1 | -1): void {
    this.#runs += delta;
  }

  /**
   * Free everything allocated since `mark`, an earlier `usedBytes`, for reuse: one run's
   * page tables and TLBs, so that the next run on the same memory has the whole limit.
   * The freed bytes are zeroed again, as alloc() hands them out. Nothing is freed while a
   * run is counted in (another run on the same memory may be using what lies above
   * `mark`), nor when the memory was already rewound below `mark`.
   */
  rewind(mark: number): void {
    if (!(Number.isInteger(mark) && mark >= CORE_RESERVED_BYTES)) {
      throw new RangeError(`Cannot rewind core memory to ${mark}: expected a mark of at least ${CORE_RESERVED_BYTES}`);
    }
    if (this.#runs > 0 || mark >= this.#top) return;
    new Uint8Array(this.memory.buffer).fill(0, mark, this.#top);
    this.#freeTables = this.#freeTables.filter((t) => t < mark);
    this.#top = mark;
  }

  /** Return a PTE table to the free list. */
  freeTable(table: number): void {
    this.#freeTables.push(table);
  }
}
