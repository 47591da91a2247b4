import { randomBytes } from "node:crypto";
import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import {
  chmod,
  copyFile,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  utimes,
} from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { throwIfAborted, UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fsError, isNoSpace } from "../util/fs-errors.js";
import { escapeName, isCarriableName } from "../util/names.js";
import { pool } from "../util/pool.js";
import { MANIFEST_FILE, type Manifest, parseManifest, serializeManifest } from "./manifest.js";
import { type HashCache, statKey } from "./hash-cache.js";
import { decideDirFile, type LocalEntry, stalePaths } from "./plan.js";
import type { SinkResult } from "./sink.js";
import { sha256Of, type SourceFile, type SourceTree } from "./source.js";

export interface DirExportOptions {
  dir: string;
  tree: SourceTree;
  /** The manifest to write last (its files are the tree's). */
  manifest: Manifest;
  prune: boolean;
  concurrency: number;
  /** Vouches for destination files an earlier export wrote or hashed (namespace: the folder). */
  cache: HashCache;
}

/** Temp files this export writes next to their final path; a dead run's are removed by the next one. */
const TEMP = /^\..*\.mlpack-[0-9a-f]{12}\.tmp$/;
const tempFor = (path: string) => join(dirname(path), `.${basename(path)}.mlpack-${randomBytes(6).toString("hex")}.tmp`);

/**
 * Exports into a folder (an EFS mount, or any folder): incremental (a file the hash cache vouches for, stat for
 * stat, is not touched; another one of the same size is hashed and left alone when it matches), atomic per file
 * (temp file, fsync, rename), symlinks kept, files 0644/0755 and folders 0755 whatever the umask, so the
 * function's uid (1001 behind the AWS samples' access point) can read them. The manifest is removed before the
 * first change and written after the last, so a partial export never looks complete. Files this export did not
 * write are never deleted unless `prune`.
 */
export async function exportToDir(opts: DirExportOptions, ctx: RunContext): Promise<SinkResult> {
  const root = opts.dir;
  const action = `exporting to ${root}`;
  const neededBytes = opts.tree.files.reduce((n, f) => n + f.size, 0);
  // A full disk names the export folder (what the user gave), not the file that happened to hit it.
  const fail = (error: unknown, path = root): never => {
    const at = isNoSpace(error) ? root : path;
    throw fsError(error, { path: at, action, isDir: at === root, neededBytes });
  };
  await ensureRoot(root, action);
  const manifestPath = join(root, MANIFEST_FILE);
  const oldText = await readFile(manifestPath, "utf8").catch(() => undefined);
  const previous = oldText === undefined ? undefined : parseManifest(oldText);
  const prevPaths = new Set((previous?.files ?? []).map((e) => e.path));
  if (opts.prune && previous === undefined && readdirSync(root).length > 0) {
    // --prune deletes what the export did not write; in a folder no export wrote that is everything in it.
    throw new UsageError(`--prune: ${root} holds files and no ${MANIFEST_FILE}, so no mlpack export wrote it`, {
      code: "E_PRUNE_FOREIGN",
      hint: `Export once without --prune (files of other exports are kept), or point --to at an empty folder or one mlpack exported to.`,
    });
  }

  // What is there now: the assets' own subtrees, or with --prune everything under the folder.
  const existing = new Map<string, LocalEntry>();
  const leftovers: string[] = [];
  const skippedNames: string[] = [];
  // Without --prune the walk covers this export's asset folders and those of the previous one, so the files of an
  // asset the lock no longer has are found and removed (they are ours: the old manifest lists them).
  const walkRoots = opts.prune
    ? [""]
    : [...new Set([...opts.manifest.assets, ...(previous?.assets ?? [])].map((a) => a.target))];
  for (const rel of walkRoots) walkExisting(root, rel, existing, leftovers, skippedNames);
  for (const name of skippedNames) ctx.emit({ type: "warning", message: `${escapeName(name)} in ${root} has a name that is not UTF-8; left in place` });

  const keep = new Set<string>();
  for (const d of opts.tree.dirs) for (const p of withAncestors(d)) keep.add(p);
  for (const f of opts.tree.files) keep.add(f.path);
  for (const l of opts.tree.links) keep.add(l.path);

  // Anything of another type in the way: a folder can only be replaced when it holds nothing but our files.
  const inTheWay: string[] = [];
  for (const path of [...opts.tree.files.map((f) => f.path), ...opts.tree.links.map((l) => l.path)]) {
    const found = existing.get(path);
    if (found?.type !== "dir") continue;
    const foreign = [...existing.keys()].some((p) => !prevPaths.has(p) && (p === path || p.startsWith(`${path}/`)));
    if (foreign && !opts.prune) {
      const kind = opts.tree.files.some((f) => f.path === path) ? "file" : "symlink";
      throw new UsageError(`${join(root, path)} is a folder the export did not write, where it must write a ${kind}`, {
        code: "E_EXPORT_CONFLICT",
        hint: "Move that folder away, or export with --prune to delete what the export did not write.",
      });
    }
    inTheWay.push(path);
  }

  // Files: decide from metadata, hash only the same-size ones we cannot vouch for.
  const writes: SourceFile[] = [];
  const chmods: { path: string; mode: number }[] = [];
  let skippedBytes = 0;
  let skippedFiles = 0;
  const compare: SourceFile[] = [];
  for (const file of opts.tree.files) {
    const found = inTheWay.includes(file.path) ? undefined : existing.get(file.path);
    const vouched = found ? opts.cache.get(root, file.path, found.statKey) : undefined;
    const decision = decideDirFile(file, found, vouched);
    if (decision === "write") writes.push(file);
    else if (decision === "compare") compare.push(file);
    else {
      skippedFiles += 1;
      skippedBytes += file.size;
      if (found && (found.mode & 0o777) !== file.mode) chmods.push({ path: file.path, mode: file.mode });
    }
  }
  await pool(compare, opts.concurrency, async (file) => {
    throwIfAborted(ctx.signal);
    const sha = await sha256Of(join(root, file.path), file.size, ctx.signal).catch((error: unknown) => fail(error, join(root, file.path)));
    if (sha !== file.sha256) writes.push(file);
    else {
      // Same bytes: left as it is, and remembered so the next export need not read it again.
      skippedFiles += 1;
      skippedBytes += file.size;
      const found = existing.get(file.path) as LocalEntry;
      opts.cache.set(root, file.path, found.statKey, sha);
      if ((found.mode & 0o777) !== file.mode) chmods.push({ path: file.path, mode: file.mode });
    }
  });
  const linkWrites = opts.tree.links.filter((l) => {
    const found = inTheWay.includes(l.path) ? undefined : existing.get(l.path);
    return !(found?.type === "symlink" && found.target === l.target);
  });
  const dirWork = opts.tree.dirs.filter((d) => {
    const found = existing.get(d);
    return found?.type !== "dir" || (found.mode & 0o777) !== 0o755;
  });
  const deletions = stalePaths({
    keep,
    previous: prevPaths,
    present: existing.keys(),
    prune: opts.prune,
    manifest: MANIFEST_FILE,
  });
  const newText = serializeManifest(opts.manifest);
  const changes = writes.length + linkWrites.length + dirWork.length + deletions.length + inTheWay.length + chmods.length;
  if (changes === 0 && leftovers.length === 0 && newText === oldText) {
    return {
      written: { files: 0, bytes: 0 },
      skipped: { files: skippedFiles, bytes: skippedBytes },
      links: { written: 0, skipped: opts.tree.links.length },
      deleted: [],
      manifestAction: "unchanged",
    };
  }

  // From here on the folder changes: first make sure nobody mistakes it for a complete export.
  if (oldText !== undefined) await unlink(manifestPath).catch((error: unknown) => fail(error, manifestPath));
  for (const path of leftovers) await rm(join(root, path), { force: true }).catch((error: unknown) => fail(error, join(root, path)));
  for (const path of inTheWay) await rm(join(root, path), { recursive: true, force: true }).catch((error: unknown) => fail(error, join(root, path)));
  const touched = new Set<string>([root]);
  for (const d of [...dirWork].sort()) {
    const abs = join(root, d);
    const found = existing.get(d);
    try {
      if (found && found.type !== "dir") await unlink(abs);
      await mkdir(abs, { recursive: true, mode: 0o755 });
      await chmod(abs, 0o755);
    } catch (error) {
      fail(error, abs);
    }
    touched.add(dirname(abs));
  }
  for (const c of chmods) await chmod(join(root, c.path), c.mode).catch((error: unknown) => fail(error, join(root, c.path)));

  const total = writes.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const progress = { id: "export-write", label: `write ${root}`, unit: "bytes" as const };
  ctx.emit({ type: "progress", ...progress, done, total });
  await pool(writes, opts.concurrency, async (file) => {
    throwIfAborted(ctx.signal);
    const key = await writeOne(root, file, fail);
    opts.cache.set(root, file.path, key, file.sha256);
    touched.add(dirname(join(root, file.path)));
    done += file.size;
    ctx.emit({ type: "progress", ...progress, done, total });
  });
  ctx.emit({ type: "progress-end", id: progress.id });
  for (const link of linkWrites) {
    throwIfAborted(ctx.signal);
    const abs = join(root, link.path);
    const tmp = tempFor(abs);
    try {
      await symlink(link.target, tmp);
      await rename(tmp, abs);
    } catch (error) {
      await rm(tmp, { force: true });
      fail(error, abs);
    }
    touched.add(dirname(abs));
  }
  await deletePaths(root, deletions, existing, fail);
  // Renames are durable once their folders are: sync each folder we changed before the manifest says "complete".
  for (const dir of touched) await syncDir(dir);
  throwIfAborted(ctx.signal);
  await writeFileAtomic(manifestPath, newText, { createParents: false, action });
  return {
    written: { files: writes.length, bytes: total },
    skipped: { files: skippedFiles, bytes: skippedBytes },
    links: { written: linkWrites.length, skipped: opts.tree.links.length - linkWrites.length },
    deleted: deletions,
    manifestAction: "written",
  };
}

/** The destination folder: created when missing (its parent must exist: a typo must not make folders). */
async function ensureRoot(root: string, action: string): Promise<void> {
  const found = await stat(root).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError(error, { path: root, action, isDir: true });
  });
  if (found && !found.isDirectory()) throw fsError({ code: "ENOTDIR" }, { path: root, action });
  if (!found) {
    await mkdir(root, { mode: 0o755 }).catch((error: unknown) => {
      throw fsError(error, { path: (error as NodeJS.ErrnoException).code === "ENOENT" ? dirname(root) : root, action, isDir: true });
    });
  }
}

/**
 * Copies the staged file to a temp sibling, sets mode and mtime (the staged file's, like cp -p), syncs it, and
 * renames it into place. Returns the written file's stat key for the hash cache.
 */
async function writeOne(root: string, file: SourceFile, fail: (error: unknown, path?: string) => never): Promise<string> {
  const abs = join(root, file.path);
  const tmp = tempFor(abs);
  try {
    await copyFile(file.abs, tmp);
    await chmod(tmp, file.mode);
    await utimes(tmp, file.mtimeMs / 1000, file.mtimeMs / 1000);
    const handle = await open(tmp, "r");
    let key: string;
    try {
      await handle.sync();
      key = statKey(await handle.stat());
    } finally {
      await handle.close();
    }
    await rename(tmp, abs);
    return key;
  } catch (error) {
    await rm(tmp, { force: true });
    return fail(error, abs);
  }
}

async function deletePaths(
  root: string,
  paths: readonly string[],
  existing: ReadonlyMap<string, LocalEntry>,
  fail: (error: unknown, path?: string) => never,
): Promise<void> {
  // Deepest first, so a folder is emptied before it is removed; a folder that still holds files we keep
  // (or, without --prune, files we did not write) stays.
  for (const path of [...paths].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? 1 : -1))) {
    const abs = join(root, path);
    try {
      if (existing.get(path)?.type === "dir") await rmdir(abs);
      else await unlink(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTEMPTY" || code === "EEXIST") continue;
      fail(error, abs);
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a folder (EINVAL); the files themselves were synced.
  }
}

function withAncestors(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** lstat of everything under `rel` (inclusive), without following links; our dead temp files are collected. */
function walkExisting(root: string, rel: string, out: Map<string, LocalEntry>, leftovers: string[], badNames: string[]): void {
  const abs = rel === "" ? root : join(root, rel);
  let st;
  try {
    st = lstatSync(abs);
  } catch {
    return;
  }
  if (rel !== "") out.set(rel, entryOf(st, abs));
  if (!st.isDirectory()) return;
  let names: Dirent<Buffer>[];
  try {
    names = readdirSync(abs, { withFileTypes: true, encoding: "buffer" }) as Dirent<Buffer>[];
  } catch (error) {
    throw fsError(error, { path: abs, action: `reading ${root}`, isDir: true });
  }
  for (const d of names) {
    if (!isCarriableName(d.name)) {
      badNames.push(join(abs, d.name.toString("latin1")));
      continue;
    }
    const name = d.name.toString("utf8");
    const child = rel === "" ? name : `${rel}/${name}`;
    if (rel === "" && name === MANIFEST_FILE) continue;
    if (TEMP.test(name) && !d.isDirectory()) {
      leftovers.push(child);
      continue;
    }
    walkExisting(root, child, out, leftovers, badNames);
  }
}

function entryOf(st: Stats, abs: string): LocalEntry {
  const type = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
  return {
    type,
    size: type === "file" ? Number(st.size) : 0,
    mode: Number(st.mode),
    statKey: type === "file" ? statKey(st) : "",
    ...(type === "symlink" ? { target: readlinkSync(abs) } : {}),
  };
}
