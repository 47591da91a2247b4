import { join } from "node:path";
import type { Readable } from "node:stream";
import { InterruptedError, MlpackError } from "../errors.js";
import { BlockFiller, type BlockPool } from "./block-filler.js";
import { isSmallFile, largeFileContent, readSmallFile, streamContent } from "./file-content.js";
import { BLOCK, encodeHeader, type TarHeaderInput } from "./tar-header.js";

/** Something left out of the image, and why (DESIGN.md §4: never followed, always reported). */
export interface BuildWarning {
  path: string;
  reason: string;
}

/** One archive entry: header fields plus, for files, where exactly `size` bytes of content come from. */
export interface TarEntry extends TarHeaderInput {
  /** A staged file: `join(dir, rel)`. Kept as two shared strings instead of one path per entry. */
  source?: { dir: string; rel: string };
  /** Any other content (synthetic or test data); takes precedence over `source`. */
  open?: () => Readable;
}

export interface TarStreamOptions {
  /** The one timestamp every entry gets (SOURCE_DATE_EPOCH or 0). */
  mtime: number;
  signal?: AbortSignal;
  /** Where blocks come from; the consumer may hand them back with `release` once done with them. */
  blocks?: BlockPool;
}

/**
 * Streams a tar archive of `entries` in the order given, as consecutive blocks of the pool's block size
 * (the last one shorter). Content is read straight into the blocks, so memory stays flat for any file
 * size; a file whose length no longer matches what was scanned is an error, because the header (already
 * written) promised that length. The bytes never depend on how reads happened to be split.
 */
export async function* tarStream(
  entries: Iterable<TarEntry>,
  options: TarStreamOptions,
): AsyncGenerator<Buffer> {
  const { mtime, signal } = options;
  const out = new BlockFiller(options.blocks);
  for (const entry of entries) {
    if (signal?.aborted) throw new InterruptedError();
    out.put(encodeHeader(entry, mtime));
    if (entry.type === "file" && entry.size > 0) {
      if (entry.open) {
        const source = entry.open() as Readable & AsyncIterable<Uint8Array>;
        yield* streamContent(source, entry.name, entry.size, out, signal);
      } else if (entry.source) {
        const path = join(entry.source.dir, entry.source.rel);
        if (isSmallFile(entry.size)) readSmallFile(path, entry.name, entry.size, out);
        else yield* largeFileContent(path, entry.name, entry.size, out, signal);
      } else {
        throw new MlpackError(`no content source for ${entry.name}`);
      }
      out.zeros((BLOCK - (entry.size % BLOCK)) % BLOCK);
    }
    // Most entries complete no block: only touch the generator machinery when one is ready.
    for (const block of out.take()) yield block;
  }
  out.zeros(2 * BLOCK); // end of archive
  for (const block of out.take()) yield block;
  const last = out.rest();
  if (last !== null) yield last;
}
