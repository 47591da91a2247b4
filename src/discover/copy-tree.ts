import { linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, symlinkSync } from "node:fs";
import { copyFile, lstat, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { throwIfAborted } from "../errors.js";
import { isInsideOrEqual } from "./classify-paths.js";
import { isCarriableName, unsupportedName } from "../util/names.js";
import { symlinkStaysInside } from "../util/tree-paths.js";
import type { ExportFilter, ExportStats } from "./runner.js";
import { copySparse, isSparse } from "./sparse.js";

export interface CopyTreeOptions {
  /**
   * Rename regular files instead of copying them. Only for trees mlpack created itself (the local runner's
   * throwaway HOME): a user's folder is never moved, or the next run would find it empty.
   */
  move?: boolean;
  /** Folders never entered, e.g. the project's `.mlpack/` (which holds `dest` itself). */
  avoid?: readonly string[];
  /** Where `source` lives, for error messages ("the run's HOME", "--include /data/models"). */
  origin?: string;
  /** Checked between entries: an abort stops the copy with InterruptedError. */
  signal?: AbortSignal;
  /** Called with each regular file's size once it is staged (moved or copied), for byte progress. */
  onBytes?: (bytes: number) => void;
}

/**
 * Copies a host directory into `dest` with the same rules as the container export: symlinks kept (never
 * followed) when they stay inside the tree, hard links kept within the tree, special files skipped, sparse files
 * kept sparse. Names are read as bytes; one that is not UTF-8 is refused (E_UNSUPPORTED_NAME) unless the filter
 * drops it anyway. `move` renames regular files instead of copying them (staging 2 GiB of weights from a
 * throwaway home is instant); across filesystems it copies, file by file.
 *
 * Listing, lstat, links and renames are synchronous: they touch only metadata, which is cached, and awaiting
 * each on the thread pool made staging a 40k-entry Hugging Face cache take ~10 s of round trips. Only file
 * copies (an --include, or a move across filesystems) go to the thread pool, and the event loop gets a turn
 * every YIELD_EVERY entries, where an abort (Ctrl-C) stops the copy.
 */
export async function copyTree(
  source: string,
  dest: string,
  filter: ExportFilter,
  options: CopyTreeOptions = {},
): Promise<ExportStats> {
  const stats: ExportStats = { files: 0, bytes: 0, skipped: [] };
  const inodes = new Map<string, string>();
  const avoid = options.avoid ?? [];
  // Copying a tree into itself would recurse until the path is too long.
  if (isInsideOrEqual(dest, source)) throw new Error(`refusing to copy ${source} into itself (${dest})`);
  await mkdir(dest, { recursive: true });
  let sinceYield = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const name of sortedNames(join(source, rel))) {
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await nextTurn();
        throwIfAborted(options.signal);
      }
      const lossy = name.toString("utf8");
      const path = rel ? `${rel}/${lossy}` : lossy;
      const reason = filter(path);
      if (reason) {
        stats.skipped.push({ path, reason, unsafe: false });
        continue;
      }
      if (!isCarriableName(name))
        throw unsupportedName(Buffer.concat([Buffer.from(`${join(source, rel)}/`), name]), options.origin ?? source);
      const from = join(source, path);
      if (avoid.some((dir) => isInsideOrEqual(from, dir))) {
        stats.skipped.push({ path, reason: "mlpack's own work folder is never packaged", unsafe: false });
        continue;
      }
      const to = join(dest, path);
      const st = lstatSync(from);
      if (st.isDirectory()) {
        mkdirSync(to, { mode: 0o755 });
        await walk(path);
      } else if (st.isSymbolicLink()) {
        const raw = readlinkSync(from, { encoding: "buffer" });
        if (!isCarriableName(raw)) throw unsupportedName(Buffer.from(from), `${options.origin ?? source} (its symlink target)`);
        const target = raw.toString("utf8");
        if (!symlinkStaysInside(path, target)) {
          stats.skipped.push({ path, reason: `symlink to ${target} leaves the asset`, unsafe: true });
          continue;
        }
        symlinkSync(target, to);
        stats.files += 1;
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) linkSync(join(dest, first), to);
        else {
          if (options.move) await moveFile(from, to, st);
          else await copyKeepingHoles(from, to, st);
          if (st.nlink > 1) inodes.set(key, path);
          stats.bytes += st.size;
          options.onBytes?.(st.size);
        }
        stats.files += 1;
      } else {
        stats.skipped.push({ path, reason: "special files (FIFOs, sockets, devices) are not packaged", unsafe: true });
      }
    }
  };
  await walk("");
  return stats;
}

/** Entries handled between two turns of the event loop. */
const YIELD_EVERY = 256;

/** Directory entries as raw names, in byte order. */
function sortedNames(dir: string): Buffer[] {
  return readdirSync(dir, { encoding: "buffer" }).sort(Buffer.compare);
}

async function copyKeepingHoles(from: string, to: string, st: { size: number; blocks: number; mode: number }) {
  if (isSparse(st)) await copySparse(from, to, st.mode & 0o777);
  else await copyFile(from, to);
}

async function moveFile(from: string, to: string, st: { size: number; blocks: number; mode: number }) {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await copyKeepingHoles(from, to, st);
  }
}

/**
 * Every path under `root` (absolute), for the local runner's "what did the command add" diff. A name that is
 * not UTF-8 is listed under its lossy spelling (as the Engine's changes list spells it) and not entered: it can
 * be classified, and is refused only if staging or measuring it is ever attempted.
 */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true, encoding: "buffer" })).sort((a, b) =>
      Buffer.compare(a.name, b.name),
    );
    for (const entry of entries) {
      const full = join(dir, entry.name.toString("utf8"));
      out.push(full);
      if (entry.isDirectory() && isCarriableName(entry.name)) await walk(full);
    }
  };
  await walk(root);
  return out;
}

/**
 * Files and bytes under a host path (a file counts as one). Synchronous calls on purpose: nothing else runs
 * meanwhile, and on a 40k-entry tree they take ~0.2 s where awaiting each lstat on the thread pool took ~1 s.
 * Names are walked as bytes, so a name that is not UTF-8 is counted rather than lost.
 */
export async function measureTree(root: string): Promise<{ files: number; bytes: number }> {
  const top = await lstat(root);
  if (!top.isDirectory()) return { files: 1, bytes: top.isFile() ? top.size : 0 };
  let files = 0;
  let bytes = 0;
  const walk = (dir: Buffer): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true, encoding: "buffer" })) {
      const full = Buffer.concat([dir, Buffer.from("/"), entry.name]);
      if (entry.isDirectory()) walk(full);
      else {
        files += 1;
        if (entry.isFile()) bytes += lstatSync(full).size;
      }
    }
  };
  walk(Buffer.from(root));
  return { files, bytes };
}
