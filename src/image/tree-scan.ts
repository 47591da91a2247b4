import { lstat, readdir, readlink, realpath } from "node:fs/promises";
import { join, posix } from "node:path";
import type { BuildWarning } from "./tar-entries.js";

/** One thing found in a staged asset tree, with its mode already normalised for the image. */
export interface ScannedEntry {
  /** Path relative to the asset dir, "/"-separated, never empty. */
  rel: string;
  /** Absolute path on disk (for reading content). */
  abs: string;
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
async function symlinkRejection(root: string, realRoot: string, rel: string, target: string) {
  if (posix.isAbsolute(target)) return `absolute symlink target ${target}`;
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  if (resolved === ".." || resolved.startsWith("../")) return `symlink target ${target} escapes the asset`;
  let real: string;
  try {
    real = await realpath(join(root, rel));
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
 */
export async function scanTree(dir: string, signal?: AbortSignal): Promise<TreeScan> {
  const entries: ScannedEntry[] = [];
  const warnings: BuildWarning[] = [];
  const realRoot = await realpath(dir);
  const pending: string[] = [""];
  while (pending.length > 0) {
    if (signal?.aborted) break;
    const relDir = pending.pop() as string;
    const names = await readdir(relDir === "" ? dir : join(dir, relDir));
    for (const name of names) {
      const rel = relDir === "" ? name : `${relDir}/${name}`;
      const abs = join(dir, rel);
      const st = await lstat(abs, { bigint: false });
      if (st.isDirectory()) {
        entries.push({ rel, abs, type: "dir", mode: 0o755, size: 0 });
        pending.push(rel);
      } else if (st.isFile()) {
        const entry: ScannedEntry = {
          rel,
          abs,
          type: "file",
          mode: normaliseMode("file", st.mode),
          size: st.size,
        };
        if (st.nlink > 1) entry.inode = `${st.dev}:${st.ino}`;
        entries.push(entry);
      } else if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        const reason = await symlinkRejection(dir, realRoot, rel, target);
        if (reason) warnings.push({ path: abs, reason });
        else entries.push({ rel, abs, type: "symlink", mode: 0o777, size: 0, linkname: target });
      } else {
        const kind = st.isFIFO() ? "FIFO" : st.isSocket() ? "socket" : "device";
        warnings.push({
          path: abs,
          reason: `${kind} skipped (only files, directories and symlinks are packaged)`,
        });
      }
    }
  }
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.rel), Buffer.from(b.rel)));
  warnings.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { dir, entries, warnings };
}
