import { type Dirent, lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { join, posix } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { compareUtf8 } from "../util/byte-order.js";
import type { BuildWarning } from "./tar-entries.js";

/** One thing found in a staged asset tree, with its mode already normalised for the image. */
export interface ScannedEntry {
  /** Path relative to the asset dir, "/"-separated, never empty. */
  rel: string;
  type: "file" | "dir" | "symlink";
  /** 0o644 or 0o755 (0o777 for symlinks, whose mode nothing reads). */
  mode: number;
  size: number;
  linkname?: string;
  /** "dev:ino" of files with more than one link, for hard-link detection within a layer. */
  inode?: string;
}

export interface TreeScan {
  dir: string;
  entries: ScannedEntry[];
  warnings: BuildWarning[];
}

function normaliseMode(type: ScannedEntry["type"], mode: number): number {
  if (type === "symlink") return 0o777;
  if (type === "dir" || (mode & 0o111) !== 0) return 0o755;
  return 0o644;
}

/**
 * Why a symlink may not go into the image, or null when it may. The target is resolved relative to the
 * link's own directory; it must stay inside the asset both lexically and (if it exists) after resolving
 * every symlink on the way, so a chain of in-tree links cannot smuggle a path out.
 */
function symlinkRejection(root: string, realRoot: string, rel: string, target: string): string | null {
  if (posix.isAbsolute(target)) return `absolute symlink target ${target}`;
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  if (resolved === ".." || resolved.startsWith("../")) return `symlink target ${target} escapes the asset`;
  let real: string;
  try {
    // Needed even when the lexical check passed: an in-tree link such as `s -> .` makes `s/../x`
    // lexically inside but really outside. realpath(3), exactly what fs.promises.realpath runs.
    real = realpathSync.native(join(root, rel));
  } catch {
    return null; // dangling but lexically inside: harmless, kept as the user staged it
  }
  if (real !== realRoot && !real.startsWith(`${realRoot}/`)) {
    return `symlink target ${target} resolves outside the asset`;
  }
  return null;
}

/**
 * Lists a staged tree without following symlinks. Keeps regular files, directories and in-tree symlinks;
 * skips (with a warning) FIFOs, sockets, devices and symlinks that point out of the tree.
 * Holds metadata only, never content, so memory grows with the file count, not the bytes.
 *
 * The calls are synchronous on purpose: 40k one-at-a-time thread-pool round trips cost more than the
 * syscalls themselves (metadata is almost always cached). Directory types come from readdir, so only
 * regular files (and entries of unknown type) need an lstat. The event loop gets a turn every few hundred
 * directories so an abort is still noticed.
 */
export async function scanTree(dir: string, signal?: AbortSignal): Promise<TreeScan> {
  const entries: ScannedEntry[] = [];
  const warnings: BuildWarning[] = [];
  const realRoot = realpathSync.native(dir);
  const pending: string[] = [""];
  for (let visited = 1; pending.length > 0; visited++) {
    if (visited % 256 === 0) await nextTurn();
    if (signal?.aborted) break;
    const relDir = pending.pop() as string;
    const names: Dirent[] = readdirSync(relDir === "" ? dir : join(dir, relDir), { withFileTypes: true });
    for (const dirent of names) {
      const rel = relDir === "" ? dirent.name : `${relDir}/${dirent.name}`;
      if (dirent.isDirectory()) {
        entries.push({ rel, type: "dir", mode: 0o755, size: 0 });
        pending.push(rel);
      } else if (dirent.isSymbolicLink()) {
        addSymlink(dir, realRoot, rel, entries, warnings);
      } else {
        addOther(dir, rel, entries, warnings, pending);
      }
    }
  }
  entries.sort((a, b) => compareUtf8(a.rel, b.rel));
  warnings.sort((a, b) => compareUtf8(a.path, b.path));
  return { dir, entries, warnings };
}

function addSymlink(
  dir: string,
  realRoot: string,
  rel: string,
  entries: ScannedEntry[],
  warnings: BuildWarning[],
) {
  const abs = join(dir, rel);
  const target = readlinkSync(abs);
  const reason = symlinkRejection(dir, realRoot, rel, target);
  if (reason) warnings.push({ path: abs, reason });
  else entries.push({ rel, type: "symlink", mode: 0o777, size: 0, linkname: target });
}

/** Regular files, and anything readdir could not type: classified by lstat, as before. */
function addOther(
  dir: string,
  rel: string,
  entries: ScannedEntry[],
  warnings: BuildWarning[],
  pending: string[],
) {
  const abs = join(dir, rel);
  const st = lstatSync(abs);
  if (st.isFile()) {
    const entry: ScannedEntry = { rel, type: "file", mode: normaliseMode("file", st.mode), size: st.size };
    if (st.nlink > 1) entry.inode = `${st.dev}:${st.ino}`;
    entries.push(entry);
  } else if (st.isDirectory()) {
    entries.push({ rel, type: "dir", mode: 0o755, size: 0 });
    pending.push(rel);
  } else if (st.isSymbolicLink()) {
    addSymlink(dir, realpathSync.native(dir), rel, entries, warnings);
  } else {
    const kind = st.isFIFO() ? "FIFO" : st.isSocket() ? "socket" : "device";
    warnings.push({
      path: abs,
      reason: `${kind} skipped (only files, directories and symlinks are packaged)`,
    });
  }
}
