import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
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

/**
 * Reads exactly `size` bytes of `path` into `out`, yielding every block it completes. The header already
 * promised `size` bytes, so a file that ends early or still has bytes after `size` is an error.
 */
export async function* fileContent(
  path: string,
  name: string,
  size: number,
  out: BlockFiller,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  if (size <= SMALL_FILE) {
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
    yield* out.take();
    return;
  }
  // Large files: reads on the thread pool, straight into the block, one block at a time.
  const handle = await open(path, "r");
  try {
    for (let pos = 0; pos < size; ) {
      if (signal?.aborted) throw new InterruptedError();
      const { block, at, free } = out.space();
      const { bytesRead } = await handle.read(block, at, Math.min(free, size - pos), pos);
      if (bytesRead === 0) throw changed(name);
      out.advance(bytesRead);
      pos += bytesRead;
      yield* out.take();
    }
    if ((await handle.read(probe, 0, 1, size)).bytesRead !== 0) throw changed(name);
  } finally {
    await handle.close();
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
