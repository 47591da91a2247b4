import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { join, posix } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { compareUtf8 } from "../util/byte-order.js";
import { symlinkStaysInside } from "../util/tree-paths.js";
import { resolveLink, type TreeNode } from "./link-resolve.js";
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
  /** Everything that is not a directory (skipped things included), and the bytes of regular files. */
  counts: { files: number; bytes: number };
}

const DIR: TreeNode = { type: "dir" };
const FILE: TreeNode = { type: "file" };
const OTHER: TreeNode = { type: "other" };

function normaliseMode(type: ScannedEntry["type"], mode: number): number {
  if (type === "symlink") return 0o777;
  if (type === "dir" || (mode & 0o111) !== 0) return 0o755;
  return 0o644;
}

/**
 * Lists a staged tree without following symlinks. Keeps regular files, directories and in-tree symlinks;
 * skips (with a warning) FIFOs, sockets, devices and symlinks that point out of the tree.
 * Holds metadata only, never content, so memory grows with the file count, not the bytes.
 *
 * The calls are synchronous on purpose: 40k one-at-a-time thread-pool round trips cost more than the
 * syscalls themselves (metadata is almost always cached). Directory types come from readdir, so only
 * regular files (and entries of unknown type) need an lstat. Symlinks are judged once the whole tree is
 * known, in memory (link-resolve.ts), instead of one realpath per link. The event loop gets a turn every
 * few hundred directories so an abort is still noticed.
 */
export async function scanTree(dir: string, signal?: AbortSignal): Promise<TreeScan> {
  const entries: ScannedEntry[] = [];
  const warnings: BuildWarning[] = [];
  const nodes = new Map<string, TreeNode>();
  const links: { rel: string; target: string }[] = [];
  let bytes = 0;
  let dirs = 0;
  const pending: string[] = [""];
  for (let visited = 1; pending.length > 0; visited++) {
    if (visited % 256 === 0) await nextTurn();
    if (signal?.aborted) break;
    const relDir = pending.pop() as string;
    const names: Dirent[] = readdirSync(relDir === "" ? dir : join(dir, relDir), { withFileTypes: true });
    for (const dirent of names) {
      const rel = relDir === "" ? dirent.name : `${relDir}/${dirent.name}`;
      let kind: "dir" | "file" | "symlink" | "other";
      let st: Stats | undefined;
      if (dirent.isDirectory()) kind = "dir";
      else if (dirent.isSymbolicLink()) kind = "symlink";
      else {
        // Regular files, and anything readdir could not type: classified by lstat.
        st = lstatSync(join(dir, rel));
        kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
      }
      if (kind === "dir") {
        nodes.set(rel, DIR);
        dirs += 1;
        entries.push({ rel, type: "dir", mode: 0o755, size: 0 });
        pending.push(rel);
      } else if (kind === "symlink") {
        const target = readlinkSync(join(dir, rel));
        nodes.set(rel, { type: "symlink", target });
        links.push({ rel, target });
      } else if (kind === "file" && st) {
        nodes.set(rel, FILE);
        const entry: ScannedEntry = { rel, type: "file", mode: normaliseMode("file", st.mode), size: st.size };
        if (st.nlink > 1) entry.inode = `${st.dev}:${st.ino}`;
        bytes += st.size;
        entries.push(entry);
      } else {
        nodes.set(rel, OTHER);
        const kindName = st?.isFIFO() ? "FIFO" : st?.isSocket() ? "socket" : "device";
        warnings.push({
          path: join(dir, rel),
          reason: `${kindName} skipped (only files, directories and symlinks are packaged)`,
        });
      }
    }
  }
  for (const { rel, target } of links) {
    const reason = symlinkRejection(nodes, rel, target);
    if (reason) warnings.push({ path: join(dir, rel), reason });
    else entries.push({ rel, type: "symlink", mode: 0o777, size: 0, linkname: target });
  }
  entries.sort((a, b) => compareUtf8(a.rel, b.rel));
  warnings.sort((a, b) => compareUtf8(a.path, b.path));
  return { dir, entries, warnings, counts: { files: nodes.size - dirs, bytes } };
}

/**
 * Why a symlink may not go into the image, or null when it may. Absolute targets and targets that climb
 * out lexically are refused outright; the rest are followed through the scanned tree, so a chain of
 * in-tree links (`s -> .`, then `s/../x`) cannot smuggle a path out either. Dangling links stay: harmless,
 * kept as the user staged them.
 */
function symlinkRejection(nodes: ReadonlyMap<string, TreeNode>, rel: string, target: string): string | null {
  if (posix.isAbsolute(target)) return `absolute symlink target ${target}`;
  if (!symlinkStaysInside(rel, target)) return `symlink target ${target} escapes the asset`;
  if (resolveLink(nodes, rel) === "outside") return `symlink target ${target} resolves outside the asset`;
  return null;
}
