import { createHash } from "node:crypto";
import { createReadStream, type Dirent, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { throwIfAborted, UsageError } from "../errors.js";
import type { EmitFn } from "../events.js";
import { resolveLink, type TreeNode } from "../image/link-resolve.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { normalisedMode } from "../lock/tree-digest.js";
import { assetsDir } from "../state/work-dir.js";
import { compareUtf8 } from "../util/byte-order.js";
import { isCarriableName, unsupportedName } from "../util/names.js";
import { SMALL_FILE } from "../util/staged-reads.js";
import { symlinkStaysInside } from "../util/tree-paths.js";
import { type HashCache, statKey } from "./hash-cache.js";

/** A regular file to export. `path` is relative to the export root: `<asset target>/<path in the asset>`. */
export interface SourceFile {
  path: string;
  abs: string;
  size: number;
  mode: 0o644 | 0o755;
  sha256: string;
  mtimeMs: number;
  /** The stat key (hash-cache) at hashing time: the same key later means the same bytes. */
  statKey: string;
}

export interface SourceTree {
  files: SourceFile[];
  links: { path: string; target: string }[];
  dirs: string[];
  /** Things left out, as bundle leaves them out of the image (FIFOs, devices, links that leave the asset). */
  skipped: { path: string; reason: string }[];
  /** Bytes that had to be read to hash (the rest came from the hash cache). */
  hashedBytes: number;
}

interface Walked {
  rel: string;
  type: "dir" | "file" | "symlink";
  /** Files: size/mtime for the cache and the export; symlinks: the target. */
  size: number;
  mode: number;
  mtimeMs: number;
  statKey: string;
  target?: string;
}

/**
 * Lists one staged tree in the lock digest's order (per folder by name in byte order, a folder followed by its
 * contents), without following symlinks. Synchronous on purpose: metadata is cached, and 40k thread-pool
 * round trips cost more than the syscalls. Names that are not UTF-8 are refused (they cannot be carried).
 */
function walkStaged(root: string, rel: string, out: Walked[], others: string[]): void {
  const dir = rel === "" ? root : join(root, rel);
  const raw = readdirSync(dir, { withFileTypes: true, encoding: "buffer" }) as Dirent<Buffer>[];
  for (const d of raw) {
    if (!isCarriableName(d.name)) throw unsupportedName(Buffer.concat([Buffer.from(`${dir}/`), d.name]), "a staged asset");
  }
  const names = raw.map((d) => d.name.toString("utf8")).sort(compareUtf8);
  for (const name of names) {
    const path = rel === "" ? name : `${rel}/${name}`;
    const full = join(root, path);
    const st = lstatSync(full);
    if (st.isDirectory()) {
      out.push({ rel: path, type: "dir", size: 0, mode: 0o755, mtimeMs: 0, statKey: "" });
      walkStaged(root, path, out, others);
    } else if (st.isSymbolicLink()) {
      out.push({ rel: path, type: "symlink", size: 0, mode: 0o777, mtimeMs: 0, statKey: "", target: readlinkSync(full) });
    } else if (st.isFile()) {
      out.push({
        rel: path,
        type: "file",
        size: st.size,
        mode: normalisedMode("file", st.mode),
        mtimeMs: st.mtimeMs,
        statKey: statKey(st),
      });
    } else {
      others.push(path);
    }
  }
}

/** sha256 hex of a file: one read below 1 MiB, streamed above. */
export async function sha256Of(path: string, size: number, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  if (size < SMALL_FILE) return hash.update(readFileSync(path)).digest("hex");
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    throwIfAborted(signal);
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

export interface ReadSourceOptions {
  lock: Lock;
  projectDir: string;
  cache: HashCache;
  emit: EmitFn;
  signal?: AbortSignal;
}

/**
 * Reads the staged trees of the lock's assets (`.mlpack/assets/<id>`) for an export: every file with its
 * sha256 (from the hash cache when the file's stat is unchanged since it was hashed), every symlink that stays
 * inside its asset and every folder. Each tree is checked against the lock before anything is written: its
 * file count and bytes, as bundle checks them, and, since every byte is hashed anyway, the lock's tree digest
 * itself, so the export is exactly what mlpack.lock.json describes.
 */
export async function readSource(opts: ReadSourceOptions): Promise<SourceTree> {
  const tree: SourceTree = { files: [], links: [], dirs: [], skipped: [], hashedBytes: 0 };
  const assets = [...opts.lock.assets].sort((a, b) => compareUtf8(a.id, b.id));
  const walked = new Map<string, Walked[]>();
  let total = 0;
  for (const asset of assets) {
    const entries = await walkAsset(asset, opts.projectDir, tree);
    walked.set(asset.id, entries);
    for (const e of entries) if (e.type === "file" && !opts.cache.get(asset.id, e.rel, e.statKey)) total += e.size;
  }
  const progress = { id: "export-hash", label: "hash staged files", unit: "bytes" as const };
  // Shown only when there is something to read: a re-export of unchanged assets hashes nothing.
  const emit = total > 0 ? opts.emit : () => {};
  emit({ type: "progress", ...progress, done: 0, total });
  for (const asset of assets) {
    await hashAsset(asset, opts, walked.get(asset.id) ?? [], tree, (done) =>
      emit({ type: "progress", ...progress, done, total }),
    );
  }
  emit({ type: "progress-end", id: progress.id });
  return tree;
}

async function walkAsset(asset: LockAsset, projectDir: string, tree: SourceTree): Promise<Walked[]> {
  const dir = join(assetsDir(projectDir), asset.id);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new UsageError(`staged asset ${asset.id} is missing (${dir})`, {
      code: "E_ASSET_MISSING",
      hint: "Run `mlpack discover` to stage the assets listed in mlpack.lock.json.",
    });
  }
  const entries: Walked[] = [];
  const others: string[] = [];
  walkStaged(dir, "", entries, others);
  for (const rel of others) {
    tree.skipped.push({
      path: `${asset.target}/${rel}`,
      reason: "not a file, folder or symlink (FIFO, socket or device): not exported",
    });
  }
  const files = entries.filter((e) => e.type !== "dir");
  const bytes = files.reduce((n, e) => n + e.size, 0);
  if (files.length !== asset.files || bytes !== asset.bytes) {
    throw new UsageError(
      `staged asset ${asset.id} does not match mlpack.lock.json (${files.length} files/${bytes} bytes staged, lock says ${asset.files}/${asset.bytes})`,
      { code: "E_ASSET_STALE", hint: "Run `mlpack discover` again to re-stage it." },
    );
  }
  return entries;
}

async function hashAsset(
  asset: LockAsset,
  opts: ReadSourceOptions,
  entries: Walked[],
  tree: SourceTree,
  onProgress: (done: number) => void,
): Promise<void> {
  const dir = join(assetsDir(opts.projectDir), asset.id);
  const digest = createHash("sha256");
  const nodes = new Map<string, TreeNode>();
  let sinceTurn = 0;
  for (const e of entries) {
    let content = "";
    if (e.type === "file") {
      let sha = opts.cache.get(asset.id, e.rel, e.statKey);
      if (sha === undefined) {
        sha = await sha256Of(join(dir, e.rel), e.size, opts.signal);
        opts.cache.set(asset.id, e.rel, e.statKey, sha);
        tree.hashedBytes += e.size;
        onProgress(tree.hashedBytes);
      }
      content = sha;
      nodes.set(e.rel, { type: "file" });
      tree.files.push({
        path: `${asset.target}/${e.rel}`,
        abs: join(dir, e.rel),
        size: e.size,
        mode: e.mode === 0o755 ? 0o755 : 0o644,
        sha256: sha,
        mtimeMs: e.mtimeMs,
        statKey: e.statKey,
      });
    } else if (e.type === "symlink") {
      content = e.target as string;
      nodes.set(e.rel, { type: "symlink", target: content });
    } else {
      nodes.set(e.rel, { type: "dir" });
      tree.dirs.push(`${asset.target}/${e.rel}`);
    }
    // The lock's digest line (lock/tree-digest.ts): path, type, normalised mode, size, sha256 or link target.
    digest.update(`${e.rel}\0${e.type}\0${normalisedMode(e.type, e.mode).toString(8)}\0${e.size}\0${content}\n`);
    if (++sinceTurn % 512 === 0) {
      await nextTurn();
      throwIfAborted(opts.signal);
    }
  }
  const found = `sha256:${digest.digest("hex")}`;
  if (found !== asset.digest) {
    throw new UsageError(
      `staged asset ${asset.id} does not match mlpack.lock.json: its content digest is ${found.slice(0, 19)}…, the lock says ${asset.digest.slice(0, 19)}…`,
      { code: "E_ASSET_STALE", hint: "A staged file changed since discover: run `mlpack discover` again to re-stage it." },
    );
  }
  tree.dirs.push(asset.target);
  for (const e of entries) {
    if (e.type !== "symlink") continue;
    const target = e.target as string;
    const reason = linkRejection(nodes, e.rel, target);
    if (reason) tree.skipped.push({ path: `${asset.target}/${e.rel}`, reason });
    else tree.links.push({ path: `${asset.target}/${e.rel}`, target });
  }
}

/** Same rules as the asset image: links that leave the asset are not exported (never followed out). */
function linkRejection(nodes: ReadonlyMap<string, TreeNode>, rel: string, target: string): string | null {
  if (target.startsWith("/")) return `absolute symlink target ${target}: not exported`;
  if (!symlinkStaysInside(rel, target)) return `symlink target ${target} escapes the asset: not exported`;
  if (resolveLink(nodes, rel) === "outside") return `symlink target ${target} resolves outside the asset: not exported`;
  return null;
}
