import * as zlib from "node:zlib";
import { type BlockMode, compressBlock, DEFLATE_END, GZIP_HEADER } from "./deflate-block.js";
import type { DeflatePool } from "./deflate-pool.js";

/** 1 MiB: large enough that per-block flush overhead is noise, small enough to keep memory flat. */
export const GZIP_BLOCK_SIZE = 1 << 20;
const WINDOW = 32 * 1024;

export interface GzipEncoderOptions {
  mode: BlockMode;
  /** Where compressed bytes go, in order; awaited, so a slow disk slows the producer (backpressure). */
  write: (bytes: Uint8Array) => Promise<void>;
  /** Parallel deflate; null = compress on this thread (same bytes either way). */
  pool: DeflatePool | null;
  blockSize?: number;
}

/**
 * Streams one single-member gzip: a pinned header, independently deflated fixed-size blocks concatenated,
 * a final empty block, then CRC-32 and ISIZE computed here over the input as it passes. Blocks are cut at
 * fixed offsets of the input (not where chunks happened to end), so the bytes depend only on the input.
 */
export class GzipBlockEncoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private crc = 0;
  private inputSize = 0;
  private previousTail: Uint8Array | null = null;
  private readonly inFlight: Promise<Uint8Array>[] = [];
  private started = false;
  private readonly blockSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: GzipEncoderOptions) {
    this.blockSize = options.blockSize ?? GZIP_BLOCK_SIZE;
    this.maxInFlight = options.pool ? options.pool.size * 2 + 1 : 1;
  }

  async push(chunk: Buffer): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.options.write(GZIP_HEADER);
    }
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    while (this.pendingLength >= this.blockSize) {
      const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
      const block = all.subarray(0, this.blockSize);
      const rest = all.subarray(this.blockSize);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingLength = rest.length;
      await this.submit(block);
    }
  }

  /** Flushes the last partial block, waits for every block, and writes the trailer. */
  async finish(): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.options.write(GZIP_HEADER);
    }
    if (this.pendingLength > 0) await this.submit(Buffer.concat(this.pending));
    this.pending = [];
    while (this.inFlight.length > 0)
      await this.options.write(await (this.inFlight.shift() as Promise<Uint8Array>));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.inputSize % 2 ** 32, 4);
    await this.options.write(DEFLATE_END);
    await this.options.write(trailer);
  }

  private async submit(block: Buffer): Promise<void> {
    this.crc = zlib.crc32(block, this.crc);
    this.inputSize += block.length;
    const { mode, pool } = this.options;
    const dictionary = mode === "stored" ? null : this.previousTail;
    if (mode !== "stored")
      this.previousTail = Uint8Array.from(block.subarray(Math.max(0, block.length - WINDOW)));
    const job =
      pool && mode !== "stored"
        ? pool.run(block, dictionary, mode)
        : Promise.resolve(compressBlock(zlib, block, dictionary, mode));
    // Avoid an unhandled rejection while the job waits in the queue; the rejection is seen when awaited.
    job.catch(() => {});
    this.inFlight.push(job);
    while (this.inFlight.length >= this.maxInFlight) {
      await this.options.write(await (this.inFlight.shift() as Promise<Uint8Array>));
    }
  }
}
