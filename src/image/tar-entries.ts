import { closeSync } from "node:fs";
import type { Readable } from "node:stream";
import { InterruptedError, MlpackError, UsageError } from "../errors.js";
import { escapeName } from "../util/names.js";
import { BlockFiller, type BlockPool } from "./block-filler.js";
import {
  isSmallFile,
  largeFileContent,
  openStaged,
  readSmallFile,
  sourceChanged,
  streamContent,
} from "./file-content.js";
import { BLOCK, encodeHeader, type TarHeaderInput, writeHeaderInto } from "./tar-header.js";
import { checkStamp, type TreeTally } from "./tree-walk.js";

export type { BuildWarning } from "./tree-walk.js";

/** One archive entry: header fields plus, for files, where exactly `size` bytes of content come from. */
export interface TarEntry extends TarHeaderInput {
  /**
   * A staged file: `join(dir, rel)`, opened without following links when the stream reaches it. Its size
   * and mode come from the open descriptor; a `size` ≥ 0 given here must match it. A `tally` counts it.
   */
  source?: { dir: string; rel: string; tally?: TreeTally };
  /** Any other content (synthetic or test data); takes precedence over `source`. */
  open?: () => Readable;
}

export interface TarStreamOptions {
  /** The one timestamp every entry gets (SOURCE_DATE_EPOCH or 0). */
  mtime: number;
  signal?: AbortSignal;
  /** Where blocks come from; the consumer may hand them back with `release` once done with them. */
  blocks?: BlockPool;
  /** Called once per regular file (hard links included) with its size, as the stream reaches it. */
  onFile?: (bytes: number) => void;
}

/** Mode as the image stores it: 0755 for directories and executables, 0644 for everything else. */
const fileMode = (mode: number): number => ((mode & 0o111) !== 0 ? 0o755 : 0o644);

/**
 * Defence in depth, whatever the lock or the walk said: no entry may be absolute, climb with `..`, or hold
 * a NUL (which would cut the name short in a ustar field). Such a name could unpack outside its target.
 */
export function assertSafeEntryName(name: string, what = "entry"): void {
  const bad =
    name === "" ||
    name.startsWith("/") ||
    name.includes("\0") ||
    (name.includes("..") && name.split("/").includes(".."));
  if (bad) {
    throw new UsageError(`refusing tar ${what} ${JSON.stringify(escapeName(name))}: absolute, empty or with a .. component`, {
      code: "E_UNSAFE_PATH",
      hint: "Check mlpack.lock.json's targets and --asset-root: they must be relative (targets) or absolute (the root) and may not contain `..`.",
    });
  }
}

/**
 * Streams a tar archive of `entries` in the order given, as consecutive blocks of the pool's block size
 * (the last one shorter). Content is read straight into the blocks, so memory stays flat for any file
 * size. Staged files are opened with O_NOFOLLOW and described by their descriptor; a file seen again under
 * another name (same dev+ino, within this archive) becomes a hard link to its first name. A file whose
 * length changes while it is read is an error, because the header (already written) promised that length.
 * The bytes never depend on how reads happened to be split.
 */
export async function* tarStream(
  entries: Iterable<TarEntry>,
  options: TarStreamOptions,
): AsyncGenerator<Buffer> {
  const { mtime, signal } = options;
  const out = new BlockFiller(options.blocks);
  const firstByInode = new Map<string, string>();
  const putHeader = (entry: TarHeaderInput) => {
    // Headers start at multiples of 512 and blocks are multiples of 512: a header never straddles blocks.
    const { block, at } = out.space();
    if (writeHeaderInto(block, at, entry, mtime)) out.advance(BLOCK);
    else out.put(encodeHeader(entry, mtime));
  };
  for (const entry of entries) {
    if (signal?.aborted) throw new InterruptedError();
    assertSafeEntryName(entry.name);
    if (entry.type === "hardlink" && entry.linkname !== undefined) assertSafeEntryName(entry.linkname, "hard link");
    if (entry.type !== "file") {
      putHeader(entry);
    } else if (entry.open) {
      putHeader(entry);
      if (entry.size > 0) {
        const source = entry.open() as Readable & AsyncIterable<Uint8Array>;
        yield* streamContent(source, entry.name, entry.size, out, signal);
        out.zeros((BLOCK - (entry.size % BLOCK)) % BLOCK);
      }
    } else if (entry.source) {
      const { dir, rel, tally } = entry.source;
      const file = openStaged(`${dir}/${rel}`, entry.name);
      try {
        const { st } = file;
        if (entry.size >= 0 && entry.size !== st.size) throw sourceChanged(entry.name);
        if (tally) {
          tally.files += 1;
          tally.bytes += st.size;
          if (tally.fresh) checkStamp(tally, st);
        }
        options.onFile?.(st.size);
        const mode = fileMode(st.mode);
        const first = st.nlink > 1 ? firstByInode.get(`${st.dev}:${st.ino}`) : undefined;
        if (first !== undefined) {
          putHeader({ name: entry.name, type: "hardlink", mode, size: 0, linkname: first });
        } else {
          if (st.nlink > 1) firstByInode.set(`${st.dev}:${st.ino}`, entry.name);
          putHeader({ name: entry.name, type: "file", mode, size: st.size });
          if (st.size > 0) {
            if (isSmallFile(st.size)) readSmallFile(file.fd, entry.name, st.size, out);
            else {
              yield* largeFileContent(file, entry.name, out, signal);
            }
            out.zeros((BLOCK - (st.size % BLOCK)) % BLOCK);
          }
        }
      } finally {
        closeSync(file.fd);
      }
    } else {
      throw new MlpackError(`no content source for ${entry.name}`);
    }
    // Most entries complete no block: only touch the generator machinery when one is ready.
    for (const block of out.take()) yield block;
  }
  out.zeros(2 * BLOCK); // end of archive
  for (const block of out.take()) yield block;
  const last = out.rest();
  if (last !== null) yield last;
}
