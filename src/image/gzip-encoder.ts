import * as zlib from "node:zlib";
import { BLOCK_SIZE } from "./block-filler.js";
import { type BlockMode, DEFLATE_END, deflateBlock, GZIP_HEADER, storedBlocks } from "./deflate-block.js";
import type { DeflatePool } from "./deflate-pool.js";

/** Blocks are cut at multiples of this many input bytes (changing it changes every gzip digest). */
export const GZIP_BLOCK_SIZE = BLOCK_SIZE;
const WINDOW = 32 * 1024;

export interface GzipEncoderOptions {
  mode: BlockMode;
  /**
   * Where compressed bytes go, in order, as pieces to write back to back (stored blocks are headers plus
   * views of the input). Awaited, so a slow disk slows the producer (backpressure); `written` is called
   * once the pieces are no longer read, which may be after the promise resolves.
   */
  write: (pieces: Uint8Array[], written?: () => void) => Promise<void>;
  /** Parallel deflate; null = compress on this thread (same bytes either way). */
  pool: DeflatePool | null;
  blockSize?: number;
  /** The CRC-32 is computed elsewhere (the hash thread) and handed to `finish`: skip it here. */
  externalCrc?: boolean;
}

interface InFlight {
  block: Uint8Array;
  out: Promise<Uint8Array[]>;
  release: (() => void) | undefined;
}

/**
 * Streams one single-member gzip: a pinned header, independently deflated fixed-size blocks concatenated,
 * a final empty block, then CRC-32 and ISIZE computed here over the input as it passes. Blocks are cut at
 * fixed offsets of the input (not where chunks happened to end), so the bytes depend only on the input.
 * A chunk that is exactly one block at a block boundary is used in place (no copy); anything else is
 * copied into a staging block first.
 */
export class GzipBlockEncoder {
  private staging: Uint8Array | null = null;
  private stagingLength = 0;
  private crc = 0;
  private inputSize = 0;
  private previousTail: Uint8Array | null = null;
  private readonly inFlight: InFlight[] = [];
  private started = false;
  private readonly blockSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: GzipEncoderOptions) {
    this.blockSize = options.blockSize ?? GZIP_BLOCK_SIZE;
    this.maxInFlight = options.pool && options.mode !== "stored" ? options.pool.size * 2 + 1 : 1;
  }

  /**
   * Adds input. `release` is called once the encoder no longer reads `chunk` (right away when it was
   * copied, after its block is written when used in place), so the caller can recycle the buffer.
   */
  async push(chunk: Uint8Array, release?: () => void): Promise<void> {
    await this.start();
    if (this.stagingLength === 0 && chunk.length === this.blockSize) return this.submit(chunk, release);
    for (let done = 0; done < chunk.length; ) {
      this.staging ??= new Uint8Array(new SharedArrayBuffer(this.blockSize));
      const n = Math.min(this.blockSize - this.stagingLength, chunk.length - done);
      this.staging.set(chunk.subarray(done, done + n), this.stagingLength);
      this.stagingLength += n;
      done += n;
      if (this.stagingLength === this.blockSize) {
        const block = this.staging;
        this.staging = null;
        this.stagingLength = 0;
        await this.submit(block, undefined);
      }
    }
    release?.();
  }

  /** Flushes the last partial block, waits for every block, and writes the trailer (with `crc` if external). */
  async finish(crc?: number): Promise<void> {
    await this.start();
    if (this.staging !== null && this.stagingLength > 0)
      await this.submit(this.staging.subarray(0, this.stagingLength), undefined);
    this.staging = null;
    this.stagingLength = 0;
    while (this.inFlight.length > 0) await this.writeNext();
    const trailer = Buffer.alloc(8);
    if (this.options.externalCrc && crc === undefined) throw new Error("gzip trailer needs the external CRC");
    trailer.writeUInt32LE((this.options.externalCrc ? (crc as number) : this.crc) >>> 0, 0);
    trailer.writeUInt32LE(this.inputSize % 2 ** 32, 4);
    await this.options.write([DEFLATE_END, trailer]);
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.options.write([GZIP_HEADER]);
  }

  private async submit(block: Uint8Array, release: (() => void) | undefined): Promise<void> {
    if (!this.options.externalCrc) this.crc = zlib.crc32(block, this.crc);
    this.inputSize += block.length;
    const { mode, pool } = this.options;
    const dictionary = mode === "stored" ? null : this.previousTail;
    if (mode !== "stored")
      this.previousTail = Uint8Array.from(block.subarray(Math.max(0, block.length - WINDOW)));
    let out: Promise<Uint8Array[]>;
    if (mode === "stored") out = Promise.resolve(storedBlocks(block));
    else if (pool) out = pool.run(block, dictionary, mode).then((d) => (d ? [d] : storedBlocks(block)));
    else {
      const deflated = deflateBlock(zlib, block, dictionary, mode);
      out = Promise.resolve(deflated ? [deflated] : storedBlocks(block));
    }
    // Avoid an unhandled rejection while the job waits in the queue; the rejection is seen when awaited.
    out.catch(() => {});
    this.inFlight.push({ block, out, release });
    while (this.inFlight.length >= this.maxInFlight) await this.writeNext();
  }

  private async writeNext(): Promise<void> {
    const next = this.inFlight.shift() as InFlight;
    const pieces = await next.out;
    // Deflated output is its own memory: the input block can go back to the pool now, not after the write.
    if (pieces.length === 1 && next.release && pieces[0]?.buffer !== next.block.buffer) {
      next.release();
      await this.options.write(pieces);
    } else await this.options.write(pieces, next.release);
  }
}
