import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { compareUtf8 } from "../util/byte-order.js";

/** One entry of a staged tree, with the mode normalised the way the asset image will store it. */
export interface TreeEntry {
  path: string;
  type: "dir" | "file" | "symlink";
  mode: number;
  size: number;
  /** sha256 hex of a file's bytes, or a symlink's target. */
  content: string;
}

export interface TreeSummary {
  digest: string;
  files: number;
  bytes: number;
}

/** Mode as the image writes it: 0755 for dirs and executables, 0644 otherwise (see DESIGN §4). */
export function normalisedMode(type: TreeEntry["type"], mode: number): number {
  if (type === "symlink") return 0o777;
  if (type === "dir" || (mode & 0o111) !== 0) return 0o755;
  return 0o644;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Walks a tree in byte order (parents first), streaming file hashes; other entry types are ignored. */
export async function* walkTree(root: string, rel = ""): AsyncGenerator<TreeEntry> {
  const names = (await readdir(join(root, rel))).sort(compareUtf8);
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const full = join(root, path);
    const st = await lstat(full);
    if (st.isDirectory()) {
      yield { path, type: "dir", mode: normalisedMode("dir", st.mode), size: 0, content: "" };
      yield* walkTree(root, path);
    } else if (st.isSymbolicLink()) {
      yield { path, type: "symlink", mode: 0o777, size: 0, content: await readlink(full) };
    } else if (st.isFile()) {
      yield {
        path,
        type: "file",
        mode: normalisedMode("file", st.mode),
        size: st.size,
        content: await sha256File(full),
      };
    }
  }
}

/**
 * The lock's per-asset digest: sha256 over the sorted (path, mode, size, sha256|linktarget) list, one line per
 * entry. Independent of mtimes, owners and directory read order, so the docker and local runners agree.
 */
export async function digestTree(root: string): Promise<TreeSummary> {
  const hash = createHash("sha256");
  let files = 0;
  let bytes = 0;
  for await (const entry of walkTree(root)) {
    hash.update(`${entry.path}\0${entry.type}\0${entry.mode.toString(8)}\0${entry.size}\0${entry.content}\n`);
    if (entry.type !== "dir") files += 1;
    bytes += entry.size;
  }
  return { digest: `sha256:${hash.digest("hex")}`, files, bytes };
}
