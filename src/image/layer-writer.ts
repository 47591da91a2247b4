import { createHash } from "node:crypto";
import { throwIfAborted } from "../errors.js";
import { BlobSink } from "./blob-sink.js";
import { BlockPool } from "./block-filler.js";
import type { DeflatePool } from "./deflate-pool.js";
import { GzipBlockEncoder } from "./gzip-encoder.js";
import type { HashThread } from "./hash-thread.js";
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
  /** diff_id and CRC on a second core; null = on this thread (same bytes either way). */
  hasher?: HashThread | null;
  /** Called with each file's content bytes as it enters the stream. */
  onFile?: (bytes: number) => void;
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
  /** The blob was new in the layout (not there before this write). */
  created: boolean;
}

const PROGRESS_EVERY = 8 << 20;

/**
 * One streaming pass per layer: tar blocks → sha256 (diff_id) → compressor → sha256 (digest) → blob file.
 * With a hash thread, the diff_id and the gzip CRC are computed there while this thread hashes the gzip
 * stream, so the two sha256 passes run on two cores; a block is recycled once both the writer and the hash
 * thread are done with it. Blocks come from a small recycled pool, and every stage awaits the next, so
 * memory is flat for any layer size. Interrupted or failed passes leave no blob behind (the temp file is
 * removed; a killed process leaves only a temp name).
 */
export async function writeLayer(options: WriteLayerOptions): Promise<WrittenLayer> {
  const { compression, signal } = options;
  const hasher = options.hasher ?? null;
  // Uncompressed: the blob is the tar, so its digest is the diff_id and one hash pass is enough.
  const sink = await BlobSink.create(options.layoutDir, { hashed: compression !== "none" });
  const diffHash = hasher ? null : createHash("sha256");
  hasher?.begin(compression !== "none");
  const blocks = options.blocks ?? new BlockPool();
  let uncompressedSize = 0;
  let reported = 0;
  const encoder =
    compression === "none"
      ? null
      : new GzipBlockEncoder({
          mode: compression,
          pool: options.pool,
          externalCrc: hasher !== null,
          write: (pieces, written) => sink.write(pieces, written),
        });
  try {
    const stream = tarStream(options.entries, {
      mtime: options.mtime,
      signal,
      blocks,
      ...(options.onFile ? { onFile: options.onFile } : {}),
    });
    for await (const block of stream) {
      uncompressedSize += block.length;
      let users = hasher ? 2 : 1;
      const release = () => {
        if (--users === 0) blocks.release(block);
      };
      if (hasher) await hasher.push(block, release);
      else diffHash?.update(block);
      if (encoder) await encoder.push(block, release);
      else await sink.write(block, release);
      if (uncompressedSize - reported >= PROGRESS_EVERY) {
        reported = uncompressedSize;
        options.onProgress?.(uncompressedSize);
      }
    }
    throwIfAborted(signal);
    const hashed = hasher ? await hasher.end() : { digest: `sha256:${diffHash?.digest("hex")}`, crc: undefined };
    if (encoder) await encoder.finish(hashed.crc);
    const diffId = hashed.digest;
    const digest = await sink.commit(diffId);
    options.onProgress?.(uncompressedSize);
    return {
      digest,
      diffId,
      size: sink.size,
      uncompressedSize,
      mediaType: compression === "none" ? MediaType.layerTar : MediaType.layerGzip,
      created: sink.created,
    };
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
