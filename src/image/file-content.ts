import { closeSync, openSync, readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { InterruptedError, MlpackError } from "../errors.js";
import type { BlockFiller } from "./block-filler.js";

/**
 * Files up to this size are read synchronously with one exact-size read: for the typical 5 KB file a
 * thread-pool round trip costs more than the read itself, and there is no per-file buffer to allocate.
 */
const SMALL_FILE = 1 << 20;
const probe = Buffer.alloc(1);

function changed(name: string): MlpackError {
  return new MlpackError(`${name} changed size while it was being packaged`, {
    code: "E_SOURCE_CHANGED",
    hint: "Do not modify .mlpack/assets while mlpack bundle runs; run it again.",
  });
}

/** Files up to this size are read with readSmallFile, larger ones with largeFileContent. */
export const isSmallFile = (size: number): boolean => size <= SMALL_FILE;

/**
 * Reads exactly `size` bytes of a small file into `out`, synchronously, without a generator or a promise:
 * most of a 20k-file layer is this call. The header already promised `size` bytes, so a file that ends
 * early or still has bytes after `size` is an error.
 */
export function readSmallFile(path: string, name: string, size: number, out: BlockFiller): void {
  const fd = openSync(path, "r");
  try {
    for (let pos = 0; pos < size; ) {
      const { block, at, free } = out.space();
      const n = readSync(fd, block, at, Math.min(free, size - pos), pos);
      if (n === 0) throw changed(name);
      out.advance(n);
      pos += n;
    }
    if (readSync(fd, probe, 0, 1, size) !== 0) throw changed(name);
  } finally {
    closeSync(fd);
  }
}

/** Reads on the thread pool that may be under way at once for one large file (each up to a block). */
const READS_AHEAD = 3;

interface PendingRead {
  done: Promise<void>;
  /** Blocks that became full when this read's range was reserved: ready once it (and all before it) landed. */
  blocks: Buffer[];
}

/**
 * Large files: positional reads on the thread pool, straight into the blocks, with a few reads ahead of the
 * consumer so the disk (or page-cache copy) overlaps with hashing. Each read's range is reserved in the
 * block before the bytes arrive; a block is yielded only after every read into it has landed, and because
 * reads are awaited in order, yielded blocks are complete and in stream order.
 */
export async function* largeFileContent(
  path: string,
  name: string,
  size: number,
  out: BlockFiller,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const handle = await open(path, "r");
  const pending: PendingRead[] = [];
  try {
    let reserved = 0;
    while (reserved < size || pending.length > 0) {
      while (reserved < size && pending.length < READS_AHEAD) {
        if (signal?.aborted) throw new InterruptedError();
        const { block, at, free } = out.space();
        const length = Math.min(free, size - reserved);
        const done = readExactly(handle, block, at, length, reserved, name);
        done.catch(() => {}); // seen when awaited below, in order
        out.advance(length);
        reserved += length;
        pending.push({ done, blocks: out.take() });
      }
      const next = pending.shift() as PendingRead;
      await next.done;
      yield* next.blocks;
    }
    if ((await handle.read(probe, 0, 1, size)).bytesRead !== 0) throw changed(name);
  } finally {
    // No read may still be filling a block (or using the descriptor) once this generator is left.
    await Promise.allSettled(pending.map((p) => p.done));
    await handle.close();
  }
}

/** Fills `length` bytes of `block` at `at` from file position `position`, or fails when the file ends early. */
async function readExactly(
  handle: FileHandle,
  block: Buffer,
  at: number,
  length: number,
  position: number,
  name: string,
): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await handle.read(block, at + done, length - done, position + done);
    if (bytesRead === 0) throw changed(name);
    done += bytesRead;
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
  if (seen !== size) throw changed(name);
}
