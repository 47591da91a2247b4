import { createHash } from "node:crypto";
import { throwIfAborted } from "../errors.js";
import { BlobSink } from "./blob-sink.js";
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
 * One streaming pass per layer: tar bytes → sha256 (diff_id) → compressor → sha256 (digest) → blob file.
 * Nothing is held beyond a few blocks, so memory is flat for any layer size. Interrupted or failed passes
 * leave no blob behind (the temp file is removed; a killed process leaves only a temp name).
 */
export async function writeLayer(options: WriteLayerOptions): Promise<WrittenLayer> {
  const { compression, signal } = options;
  const sink = await BlobSink.create(options.layoutDir);
  const diffHash = createHash("sha256");
  let uncompressedSize = 0;
  let reported = 0;
  const encoder =
    compression === "none"
      ? null
      : new GzipBlockEncoder({
          mode: compression,
          pool: options.pool,
          write: (bytes) => sink.write(bytes),
        });
  try {
    for await (const chunk of tarStream(options.entries, { mtime: options.mtime, signal })) {
      diffHash.update(chunk);
      uncompressedSize += chunk.length;
      if (encoder) await encoder.push(chunk);
      else await sink.write(chunk);
      if (uncompressedSize - reported >= PROGRESS_EVERY) {
        reported = uncompressedSize;
        options.onProgress?.(uncompressedSize);
      }
    }
    throwIfAborted(signal);
    if (encoder) await encoder.finish();
    const digest = await sink.commit();
    options.onProgress?.(uncompressedSize);
    return {
      digest,
      diffId: `sha256:${diffHash.digest("hex")}`,
      size: sink.size,
      uncompressedSize,
      mediaType: compression === "none" ? MediaType.layerTar : MediaType.layerGzip,
    };
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
