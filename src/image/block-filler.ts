/** 1 MiB: large enough that per-block costs (syscalls, worker messages, flushes) are noise. */
export const BLOCK_SIZE = 1 << 20;

/**
 * Recycles fixed-size layer blocks backed by SharedArrayBuffer, so a block can be read by the thread pool
 * (deflate, writes) without being copied. Recycling keeps RSS flat: a 2 GiB layer reuses the dozen or so
 * blocks the pipeline holds at once (reads ahead, blocks being deflated, writes in flight) instead of
 * leaving 2,048 for the GC. It never blocks: the bound on live blocks comes from the pipeline's own limits
 * (backpressure), so keeping every block handed back costs no more than that bound; one pool serves every
 * layer of a build.
 */
export class BlockPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly blockSize: number = BLOCK_SIZE,
    private readonly keep = 32,
  ) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.from(new SharedArrayBuffer(this.blockSize));
  }

  /** Hands a block back once nothing reads it any more; views of other memory are ignored. */
  release(view: Uint8Array): void {
    if (view.buffer.byteLength !== this.blockSize || !(view.buffer instanceof SharedArrayBuffer)) return;
    if (this.free.length < this.keep) this.free.push(Buffer.from(view.buffer));
  }
}

/**
 * Assembles the tar byte stream into whole blocks taken from a BlockPool. Headers and small files are
 * copied in back to back; file content is read straight into the free tail of the current block, so a
 * 2 GiB file is never copied between buffers on its way to the hasher and encoder. Because blocks are cut
 * at fixed offsets of the stream, the encoder can use them as they are (no concatenation, no re-cutting).
 */
export class BlockFiller {
  private block: Buffer | null = null;
  private at = 0;
  private full: Buffer[] = [];

  constructor(readonly pool: BlockPool = new BlockPool()) {}

  /** The free tail of the current block (never empty), for reading into directly. */
  space(): { block: Buffer; at: number; free: number } {
    this.block ??= this.pool.acquire();
    return { block: this.block, at: this.at, free: this.block.length - this.at };
  }

  /** Marks `n` bytes after `space().at` as written. */
  advance(n: number): void {
    this.at += n;
    if (this.block !== null && this.at === this.block.length) {
      this.full.push(this.block);
      this.block = null;
      this.at = 0;
    }
  }

  put(bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const { block, at, free } = this.space();
      const n = Math.min(free, bytes.length - done);
      block.set(n === bytes.length ? bytes : bytes.subarray(done, done + n), at);
      this.advance(n);
      done += n;
    }
  }

  zeros(count: number): void {
    for (let left = count; left > 0; ) {
      const { block, at, free } = this.space();
      const n = Math.min(free, left);
      // TypedArray fill: Buffer#fill's argument checks cost more than zeroing a 512-byte pad.
      Uint8Array.prototype.fill.call(block, 0, at, at + n);
      this.advance(n);
      left -= n;
    }
  }

  /** Blocks completed since the last call, in stream order; the caller now owns them. */
  take(): Buffer[] {
    if (this.full.length === 0) return this.full;
    const done = this.full;
    this.full = [];
    return done;
  }

  /** The last, partial block (a view of its used part), or null when the stream ended on a boundary. */
  rest(): Buffer | null {
    const block = this.block;
    this.block = null;
    return block === null || this.at === 0 ? null : block.subarray(0, this.at);
  }
}
