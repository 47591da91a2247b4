import { promisify } from "node:util";
import * as zlib from "node:zlib";
import {
  type BlockMode,
  blockDeflateOptions,
  deflateBlock,
  keepsDeflated,
  probeSaysStore,
} from "./deflate-block.js";

const deflateRaw = promisify(zlib.deflateRaw) as (data: Uint8Array, options: zlib.ZlibOptions) => Promise<Buffer>;

/**
 * Output room for one zlib call. zlib allocates the room up front, and output that does not fit takes
 * another trip back to this thread plus a final copy to join the pieces; either way the room is garbage
 * once the call returns. gzip deflates everything, weights included, whose output is about as large as the
 * input: room for all of it means one trip and no join. auto only deflates blocks its probe expects to
 * shrink by a quarter or more, and text shrinks 3–5×, so a quarter of the input usually does the same with
 * a quarter of the garbage. How output is chunked never changes zlib's bytes.
 */
function outputRoom(input: Uint8Array, mode: BlockMode, options: zlib.ZlibOptions): zlib.ZlibOptions {
  const room = mode === "auto" ? Math.ceil(input.length / 4) : input.length + (input.length >>> 10);
  return { ...options, chunkSize: Math.max(16 * 1024, room + 16 * 1024) };
}

/**
 * `deflateBlock`, step for step, with each zlib call on libuv's thread pool instead of this thread. zlib's
 * output depends only on the input, the options and the flush points (here: all input, then the finishing
 * flush), so the bytes are the ones the synchronous version produces; the tests hold the two side by side.
 */
export async function deflateBlockAsync(
  block: Uint8Array,
  dictionary: Uint8Array | null,
  mode: BlockMode,
): Promise<Uint8Array | null> {
  if (mode === "stored") return null;
  if (mode === "auto" && probeSaysStore(block)) return null;
  return deflateOnPool(block, dictionary, mode);
}

/** The part of deflateBlockAsync after the probe said "deflate": the zlib call itself, on the pool. */
async function deflateOnPool(
  block: Uint8Array,
  dictionary: Uint8Array | null,
  mode: BlockMode,
): Promise<Uint8Array | null> {
  const deflated = await deflateRaw(block, outputRoom(block, mode, blockDeflateOptions(zlib, mode, dictionary)));
  return keepsDeflated(mode, deflated.length, block.length) ? deflated : null;
}

/**
 * libuv's pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise, and file reads share it: deflate
 * jobs leave one thread free so a read is never queued behind a megabyte of compression.
 */
function threadPoolLimit(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE);
  const threads = Number.isInteger(configured) && configured > 0 ? configured : 4;
  return Math.max(1, threads - 1);
}

/**
 * Parallel block deflate (pigz style) on libuv's thread pool. It used to run worker threads, but each one
 * is a V8 isolate of ~40 MB, while a pool job costs no more than zlib's own state; and because blocks of
 * weights are stored after a 64 KiB probe, they keep the main thread free for reading and hashing.
 * Results come back per job, so the caller controls ordering; the pool never changes output bytes, only
 * how fast they arrive. At most `concurrency` jobs run at once; the rest wait their turn in order.
 */
export class DeflatePool {
  readonly concurrency: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** Jobs that ran a zlib call off this thread (tests and benchmarks look at it). */
  jobs = 0;

  constructor(readonly size: number) {
    this.concurrency = Math.min(size, threadPoolLimit());
  }

  /**
   * Deflates one block, or resolves null when it is to be stored. The caller must not change `block` or
   * `dictionary` until the promise settles (they are read in place, never copied).
   */
  async run(block: Uint8Array, dictionary: Uint8Array | null, mode: BlockMode): Promise<Uint8Array | null> {
    if (this.closed) throw new Error("deflate pool closed");
    if (this.size <= 0 || mode === "stored") return deflateBlock(zlib, block, dictionary, mode);
    // The probe is a byte histogram on this thread: a block it stores never waits for a pool slot.
    if (mode === "auto" && probeSaysStore(block)) return null;
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw new Error("deflate pool closed");
    this.running++;
    this.jobs++;
    try {
      return await deflateOnPool(block, dictionary, mode);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Refuses new jobs; waiting ones are rejected, running ones finish (a zlib call cannot be cut short). */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
  }
}
