import { createHash } from "node:crypto";
import { throwIfAborted } from "../errors.js";
import { BlobSink } from "./blob-sink.js";
import { BlockPool } from "./block-filler.js";
import type { DeflatePool } from "./deflate-pool.js";
import { GzipBlockEncoder } from "./gzip-encoder.js";
import { type TarEntry, tarStream } from "./tar-entries.js";
import { MediaType } from "./types.js";

/** How layers are compressed (DESIGN.md §2 bundle `--compression`). */
export type Compression = "auto" | "gzip" | "stored" | "none";

export interface WriteLayerOptions {
  entries: Iterable<TarEntry>;
  mtime: number;
  compression: Compression;
  layoutDir: string;
  pool: DeflatePool | null;
  /** Blocks to recycle; share one across the layers of a build. */
  blocks?: BlockPool;
  signal?: AbortSignal;
  /** Called with the uncompressed bytes produced so far. */
  onProgress?: (done: number) => void;
}

export interface WrittenLayer {
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
  mediaType: string;
}

const PROGRESS_EVERY = 8 << 20;

/**
 * One streaming pass per layer: tar blocks → sha256 (diff_id) → compressor → sha256 (digest) → blob file.
 * Blocks come from a small recycled pool and go back once written, and every stage awaits the next, so
 * memory is flat for any layer size. Interrupted or failed passes leave no blob behind (the temp file is
 * removed; a killed process leaves only a temp name).
 */
export async function writeLayer(options: WriteLayerOptions): Promise<WrittenLayer> {
  const { compression, signal } = options;
  // Uncompressed: the blob is the tar, so its digest is the diff_id and one hash pass is enough.
  const sink = await BlobSink.create(options.layoutDir, { hashed: compression !== "none" });
  const diffHash = createHash("sha256");
  const blocks = options.blocks ?? new BlockPool();
  let uncompressedSize = 0;
  let reported = 0;
  const encoder =
    compression === "none"
      ? null
      : new GzipBlockEncoder({
          mode: compression,
          pool: options.pool,
          write: (pieces, written) => sink.write(pieces, written),
        });
  try {
    for await (const block of tarStream(options.entries, { mtime: options.mtime, signal, blocks })) {
      diffHash.update(block);
      uncompressedSize += block.length;
      if (encoder) await encoder.push(block, () => blocks.release(block));
      else {
        await sink.write(block, () => blocks.release(block));
      }
      if (uncompressedSize - reported >= PROGRESS_EVERY) {
        reported = uncompressedSize;
        options.onProgress?.(uncompressedSize);
      }
    }
    throwIfAborted(signal);
    if (encoder) await encoder.finish();
    const diffId = `sha256:${diffHash.digest("hex")}`;
    const digest = await sink.commit(diffId);
    options.onProgress?.(uncompressedSize);
    return {
      digest,
      diffId,
      size: sink.size,
      uncompressedSize,
      mediaType: compression === "none" ? MediaType.layerTar : MediaType.layerGzip,
    };
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
