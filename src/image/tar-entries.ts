import type { Readable } from "node:stream";
import { InterruptedError, MlpackError } from "../errors.js";
import { contentPadding, END_OF_ARCHIVE, encodeHeader, type TarHeaderInput } from "./tar-header.js";

/** Something left out of the image, and why (DESIGN.md §4: never followed, always reported). */
export interface BuildWarning {
  path: string;
  reason: string;
}

/** One archive entry: header fields plus, for files, a way to stream exactly `size` bytes of content. */
export interface TarEntry extends TarHeaderInput {
  open?: () => Readable;
}

export interface TarStreamOptions {
  /** The one timestamp every entry gets (SOURCE_DATE_EPOCH or 0). */
  mtime: number;
  signal?: AbortSignal;
}

/**
 * Streams a tar archive of `entries` in the order given. Content is piped chunk by chunk from `open()`,
 * so memory stays flat for any file size; a file whose length no longer matches what was scanned is an
 * error, because the header (already written) promised that length.
 */
export async function* tarStream(
  entries: Iterable<TarEntry>,
  options: TarStreamOptions,
): AsyncGenerator<Buffer> {
  const { mtime, signal } = options;
  for (const entry of entries) {
    if (signal?.aborted) throw new InterruptedError();
    yield encodeHeader(entry, mtime);
    if (entry.type !== "file" || entry.size === 0) continue;
    if (!entry.open) throw new MlpackError(`no content source for ${entry.name}`);
    let seen = 0;
    const source = entry.open();
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (signal?.aborted) throw new InterruptedError();
        seen += chunk.length;
        if (seen > entry.size) break;
        yield chunk;
      }
    } finally {
      source.destroy();
    }
    if (seen !== entry.size) {
      throw new MlpackError(`${entry.name} changed size while it was being packaged`, {
        code: "E_SOURCE_CHANGED",
        hint: "Do not modify .mlpack/assets while mlpack bundle runs; run it again.",
      });
    }
    yield contentPadding(entry.size);
  }
  yield END_OF_ARCHIVE;
}
