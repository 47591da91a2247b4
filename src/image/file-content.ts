import { closeSync, fstat, fstatSync, openSync, read, readSync, type Stats } from "node:fs";
import { InterruptedError, MlpackError } from "../errors.js";
import { NO_FOLLOW_READ, SMALL_FILE } from "../util/staged-reads.js";
import type { BlockFiller } from "./block-filler.js";


export function sourceChanged(name: string, what = "changed size"): MlpackError {
  return new MlpackError(`${name} ${what} while it was being packaged`, {
    code: "E_SOURCE_CHANGED",
    hint: "Do not modify .mlpack/assets while mlpack bundle runs; run it again.",
  });
}

/** Files up to this size are read with readSmallFile, larger ones with largeFileContent. */
export const isSmallFile = (size: number): boolean => size <= SMALL_FILE;

/** An open staged file and what its descriptor says it is. */
export interface OpenedFile {
  fd: number;
  st: Stats;
}

/**
 * Opens a staged file for reading without following links (O_NOFOLLOW): a file replaced by a symlink, a
 * folder or a FIFO after the walk listed it is E_SOURCE_CHANGED, so outside content can never be read
 * through it. Size, mode and inode come from this descriptor, so the header describes exactly what is read.
 */
export function openStaged(path: string, name: string): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, NO_FOLLOW_READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw sourceChanged(name, "was replaced by a symlink");
    if (code === "ENOENT" || code === "ENOTDIR") throw sourceChanged(name, "disappeared");
    throw error;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw sourceChanged(name, "is no longer a regular file");
  }
  return { fd, st };
}

/**
 * Reads exactly `size` bytes of a small file into `out`, synchronously, without a generator or a promise:
 * most of a 20k-file layer is this call. Each read asks for one byte more than is left when the block has
 * room, so a file that grew is seen without an extra read; a file that ends early is seen as a short read.
 */
export function readSmallFile(fd: number, name: string, size: number, out: BlockFiller): void {
  for (let pos = 0; ; ) {
    const { block, at, free } = out.space();
    const want = size - pos;
    const length = Math.min(free, want + 1);
    const n = readSync(fd, block, at, length, pos);
    if (n > want) throw sourceChanged(name);
    if (n === 0) {
      if (want === 0) return;
      throw sourceChanged(name);
    }
    out.advance(n);
    pos += n;
    // A short read of a regular file is its end: done if that is where the header said it ends.
    if (n < length && pos === size) return;
  }
}

/** Reads on the thread pool that may be under way at once for one large file (each up to a block). */
const READS_AHEAD = 3;

interface PendingRead {
  done: Promise<void>;
  /** Blocks that became full when this read's range was reserved: ready once it (and all before it) landed. */
  blocks: Buffer[];
}

const readAt = (fd: number, block: Buffer, at: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, block, at, length, position, (error, n) => (error ? reject(error) : resolve(n))),
  );
const fstatAsync = (fd: number) =>
  new Promise<Stats>((resolve, reject) => fstat(fd, (error, st) => (error ? reject(error) : resolve(st))));

/**
 * Large files: positional reads on the thread pool, straight into the blocks, with a few reads ahead of the
 * consumer so the disk (or page-cache copy) overlaps with hashing. Each read's range is reserved in the
 * block before the bytes arrive; a block is yielded only after every read into it has landed, and because
 * reads are awaited in order, yielded blocks are complete and in stream order. After the last byte the
 * descriptor is checked again: a file that grew, or was written to while it was read (same size, new
 * mtime/ctime), is E_SOURCE_CHANGED. The descriptor is the caller's to close.
 */
export async function* largeFileContent(
  file: OpenedFile,
  name: string,
  out: BlockFiller,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const { fd, st } = file;
  const size = st.size;
  const pending: PendingRead[] = [];
  try {
    let reserved = 0;
    while (reserved < size || pending.length > 0) {
      while (reserved < size && pending.length < READS_AHEAD) {
        if (signal?.aborted) throw new InterruptedError();
        const { block, at, free } = out.space();
        const length = Math.min(free, size - reserved);
        const done = readExactly(fd, block, at, length, reserved, name);
        done.catch(() => {}); // seen when awaited below, in order
        out.advance(length);
        reserved += length;
        pending.push({ done, blocks: out.take() });
      }
      const next = pending.shift() as PendingRead;
      await next.done;
      yield* next.blocks;
    }
    const probe = Buffer.alloc(1);
    if ((await readAt(fd, probe, 0, 1, size)) !== 0) throw sourceChanged(name);
    const after = await fstatAsync(fd);
    if (after.size !== size || after.mtimeMs !== st.mtimeMs || after.ctimeMs !== st.ctimeMs)
      throw sourceChanged(name, "was modified");
  } finally {
    // No read may still be filling a block (or using the descriptor) once this generator is left.
    await Promise.allSettled(pending.map((p) => p.done));
  }
}

/** Fills `length` bytes of `block` at `at` from file position `position`, or fails when the file ends early. */
async function readExactly(
  fd: number,
  block: Buffer,
  at: number,
  length: number,
  position: number,
  name: string,
): Promise<void> {
  for (let done = 0; done < length; ) {
    const n = await readAt(fd, block, at + done, length - done, position + done);
    if (n === 0) throw sourceChanged(name);
    done += n;
  }
}

/** Copies a stream that must hold exactly `size` bytes into `out`, yielding every completed block. */
export async function* streamContent(
  source: AsyncIterable<Uint8Array> & { destroy(): void },
  name: string,
  size: number,
  out: BlockFiller,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  let seen = 0;
  try {
    for await (const chunk of source) {
      if (signal?.aborted) throw new InterruptedError();
      seen += chunk.length;
      if (seen > size) break;
      out.put(chunk);
      yield* out.take();
    }
  } finally {
    source.destroy();
  }
  if (seen !== size) throw sourceChanged(name);
}
