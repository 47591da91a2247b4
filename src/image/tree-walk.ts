import { type Dir, type Dirent, lstatSync, opendirSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { posix } from "node:path";
import { compareUtf8 } from "../util/byte-order.js";
import { isCarriableName, unsupportedName } from "../util/names.js";
import { symlinkStaysInside } from "../util/tree-paths.js";
import { type LinkLookup, resolveLink, type TreeNode } from "./link-resolve.js";

/** Something left out of the image, and why (DESIGN.md §4: never followed, always reported). */
export interface BuildWarning {
  path: string;
  reason: string;
}

/**
 * What one pass saw of one staged asset, filled in as the layers stream (the tree check runs in the same
 * pass as the layer bytes, so nothing per file is kept): counted like the lock counts (regular files and
 * symlinks, with their bytes), and whether every file and folder is older than the asset's stage stamp.
 */
export interface TreeTally {
  readonly id: string;
  readonly dir: string;
  files: number;
  bytes: number;
  /** The stage stamp's newest ctime (ms, as Node reports it); undefined = no usable stamp. */
  readonly stampCtimeMs: number | undefined;
  /** False once something changed after staging (a newer ctime), or when there is no stamp at all. */
  fresh: boolean;
  warnings: BuildWarning[];
}

export function newTally(id: string, dir: string, stampCtimeMs?: number): TreeTally {
  // Paths below are built as `${dir}/${rel}` (path.join normalises every time: 10% of a small-file pass).
  const root = posix.normalize(dir).replace(/(.)\/+$/, "$1");
  return { id, dir: root, files: 0, bytes: 0, stampCtimeMs, fresh: stampCtimeMs !== undefined, warnings: [] };
}

/**
 * Whether anything but folders (a file, a link that stays inside) is below `rel`, stopping at the first
 * one: directory entries are read a batch at a time (opendir), so a 20k-file folder costs one batch.
 */
export function holdsContent(tally: TreeTally, view: TreeView, rel: string): boolean {
  const pending = [rel];
  while (pending.length > 0) {
    const relDir = pending.pop() as string;
    const path = relDir === "" ? tally.dir : `${tally.dir}/${relDir}`;
    let handle: Dir;
    try {
      handle = opendirSync(path);
    } catch {
      continue;
    }
    try {
      for (let dirent = handle.readSync(); dirent !== null; dirent = handle.readSync()) {
        const child = relDir === "" ? dirent.name : `${relDir}/${dirent.name}`;
        const kind = kindOf(dirent, `${path}/${dirent.name}`);
        if (kind === "file") return true;
        if (kind === "dir") pending.push(child);
        else if (kind === "symlink" && symlinkRejection(view.lookup, child, readlinkSync(`${path}/${dirent.name}`)) === null)
          return true;
      }
    } finally {
      handle.closeSync();
    }
  }
  return false;
}

/** Marks the tally stale when `st` (a file or folder of the asset) changed after the stamp was taken. */
export function checkStamp(tally: TreeTally, st: Stats): void {
  if (tally.fresh && st.ctimeMs > (tally.stampCtimeMs as number)) tally.fresh = false;
}

/** A slice of one asset: everything under `include` (null = the whole asset) minus the `exclude` subtrees. */
export interface WalkPart {
  include: string | null;
  exclude: ReadonlyArray<string>;
}

/**
 * One thing the walk found. Regular files are only named: the consumer opens them (O_NOFOLLOW) when the
 * stream reaches them and takes size, mode and inode from the open descriptor, so what is read is exactly
 * what the header describes.
 */
export type WalkItem = { type: "dir" | "file"; rel: string } | { type: "symlink"; rel: string; linkname: string };

type Kind = "dir" | "file" | "symlink" | "other";

/**
 * A directory entry, sorted by its key: the name for the entry itself, the name + "/" for the subtree
 * below a directory. Siblings never contain "/", so each subtree is one contiguous run of the full-path
 * byte order and can be walked in place: the stream comes out sorted without ever holding the whole tree.
 */
interface Slot {
  key: string;
  text: string;
  kind: Kind;
  /** This slot is the subtree of directory `text`, not the directory entry itself. */
  subtree: boolean;
}

/** JS string order is UTF-16 order, which is UTF-8 byte order unless surrogates meet U+E000–U+FFFF. */
const NEEDS_UTF8_ORDER = /[\uD800-\uFFFF]/;
const byKey = (a: Slot, b: Slot): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byKeyUtf8 = (a: Slot, b: Slot): number => compareUtf8(a.key, b.key);

function kindOf(dirent: Dirent, path: string): Kind {
  if (dirent.isDirectory()) return "dir";
  if (dirent.isFile()) return "file";
  if (dirent.isSymbolicLink()) return "symlink";
  if (dirent.isFIFO() || dirent.isSocket() || dirent.isCharacterDevice() || dirent.isBlockDevice()) return "other";
  // The filesystem could not type it (DT_UNKNOWN): ask lstat.
  const st = lstatSync(path);
  return st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other";
}

function otherReason(path: string): string {
  let name = "device";
  try {
    const st = lstatSync(path);
    name = st.isFIFO() ? "FIFO" : st.isSocket() ? "socket" : "device";
  } catch {
    // gone meanwhile: still not something we package
  }
  return `${name} skipped (only files, directories and symlinks are packaged)`;
}

/**
 * Names are read as UTF-8 text, where bytes that are not UTF-8 become U+FFFD: a listing with that
 * character is read again as bytes, and a name that is really not UTF-8 is refused (it could not be carried
 * byte-exact, nor even opened by a string path). Real U+FFFD characters pass.
 */
function checkListing(path: string, names: ReadonlyArray<string>, assetId: string): void {
  if (!names.some((n) => n.includes("\uFFFD"))) return;
  for (const raw of readdirSync(path, { encoding: "buffer" })) {
    if (!isCarriableName(raw)) throw unsupportedName(Buffer.concat([Buffer.from(`${path}/`), raw]), `staged asset ${assetId}`);
  }
}

function linkTarget(path: string, assetId: string): string {
  const text = readlinkSync(path);
  if (text.includes("\uFFFD")) {
    const raw = readlinkSync(path, { encoding: "buffer" });
    if (!isCarriableName(raw)) throw unsupportedName(Buffer.from(path), `staged asset ${assetId} (symlink target)`);
  }
  return text;
}

/**
 * The tree as symlink resolution sees it (link-resolve's rules, unchanged), answered without a syscall
 * where the walk already knows: for every folder it listed, the names of its subfolders and whether it
 * holds links. A name in a listed folder without links that is not a subfolder is a file (or nothing) —
 * the same verdict either way — so a Hugging Face snapshot link into `blobs/` costs no lstat. Anything
 * else is one cached lstat. Only folders are remembered, never files.
 */
export class TreeView {
  private readonly listed = new Map<string, { dirs: ReadonlySet<string>; hasLinks: boolean }>();
  private readonly cache = new Map<string, TreeNode>();

  constructor(readonly dir: string) {}

  noteListing(relDir: string, dirs: string[], hasLinks: boolean): void {
    if (this.listed.size > 20_000) this.listed.clear();
    this.listed.set(relDir, { dirs: new Set(dirs), hasLinks });
  }

  readonly lookup: LinkLookup = (rel) => {
    const slash = rel.lastIndexOf("/");
    const listing = this.listed.get(slash < 0 ? "" : rel.slice(0, slash));
    if (listing) {
      if (listing.dirs.has(slash < 0 ? rel : rel.slice(slash + 1))) return DIR_NODE;
      if (!listing.hasLinks) return FILE_NODE;
    }
    const hit = this.cache.get(rel);
    if (hit) return hit;
    let st: Stats;
    try {
      st = lstatSync(`${this.dir}/${rel}`);
    } catch {
      return undefined;
    }
    let node: TreeNode;
    if (st.isDirectory()) node = DIR_NODE;
    else if (st.isFile()) return FILE_NODE;
    else if (st.isSymbolicLink()) node = { type: "symlink", target: readlinkSync(`${this.dir}/${rel}`) };
    else return { type: "other" };
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(rel, node);
    return node;
  };
}

const DIR_NODE: TreeNode = { type: "dir" };
const FILE_NODE: TreeNode = { type: "file" };

/**
 * Why a symlink may not go into the image, or null when it may. Absolute targets and targets that climb
 * out lexically are refused outright; the rest are followed through the tree, so a chain of in-tree links
 * (`s -> .`, then `s/../x`) cannot smuggle a path out either. Dangling links stay: harmless, kept as staged.
 */
function symlinkRejection(lookup: LinkLookup, rel: string, target: string): string | null {
  if (posix.isAbsolute(target)) return `absolute symlink target ${target}`;
  if (!symlinkStaysInside(rel, target)) return `symlink target ${target} escapes the asset`;
  if (resolveLink(lookup, rel, target) === "outside") return `symlink target ${target} resolves outside the asset`;
  return null;
}

interface Frame {
  rel: string;
  slots: Slot[];
  next: number;
}

/**
 * Walks one part of a staged asset in full-path byte order (parents before children), one directory
 * listing at a time, so memory follows the depth of the tree, not its size. Names are read as bytes: a name
 * that is not UTF-8 is refused with E_UNSUPPORTED_NAME (escaped), never replaced. Links are judged on the
 * way (kept when they stay inside, else a warning) and counted in `tally`, like FIFOs and devices are
 * reported; regular files are left for the consumer to open and count.
 *
 * The calls are synchronous on purpose: tens of thousands of one-at-a-time thread-pool round trips cost
 * more than the syscalls themselves (metadata is almost always cached).
 */
export function* walkPart(part: WalkPart, tally: TreeTally, view: TreeView): Generator<WalkItem> {
  const { dir, id } = tally;
  const exclude = new Set(part.exclude);
  const stack: Frame[] = [];
  const enter = (rel: string) => {
    const path = rel === "" ? dir : `${dir}/${rel}`;
    if (tally.fresh) checkStamp(tally, lstatSync(path));
    const dirents = readdirSync(path, { withFileTypes: true });
    const slots: Slot[] = [];
    const dirs: string[] = [];
    let hasLinks = false;
    let utf8Order = false;
    for (const dirent of dirents) {
      const text = dirent.name;
      const kind = kindOf(dirent, `${path}/${text}`);
      slots.push({ key: text, text, kind, subtree: false });
      if (kind === "dir") {
        slots.push({ key: `${text}/`, text, kind, subtree: true });
        dirs.push(text);
      } else if (kind !== "file") hasLinks = true; // links, and the odd FIFO: ask lstat about those
      utf8Order ||= NEEDS_UTF8_ORDER.test(text);
    }
    view.noteListing(rel, dirs, hasLinks);
    if (utf8Order) checkListing(path, dirents.map((d) => d.name), id);
    slots.sort(utf8Order ? byKeyUtf8 : byKey);
    stack.push({ rel, slots, next: 0 });
  };
  if (part.include === null) enter("");
  else {
    const parts = part.include.split("/");
    for (let i = 1; i < parts.length; i++) yield { type: "dir", rel: parts.slice(0, i).join("/") };
    let st: Stats | undefined;
    try {
      st = lstatSync(`${dir}/${part.include}`);
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) return;
    yield { type: "dir", rel: part.include };
    enter(part.include);
  }
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const slot = frame.slots[frame.next++];
    if (slot === undefined) {
      stack.pop();
      continue;
    }
    const rel = frame.rel === "" ? slot.text : `${frame.rel}/${slot.text}`;
    if (slot.kind === "dir") {
      if (exclude.has(rel)) continue;
      if (slot.subtree) enter(rel);
      else yield { type: "dir", rel };
    } else if (slot.kind === "file") {
      yield { type: "file", rel };
    } else if (slot.kind === "symlink") {
      tally.files += 1;
      const path = `${dir}/${rel}`;
      const target = linkTarget(path, id);
      const reason = symlinkRejection(view.lookup, rel, target);
      if (reason) tally.warnings.push({ path, reason });
      else yield { type: "symlink", rel, linkname: target };
    } else {
      const path = `${dir}/${rel}`;
      tally.warnings.push({ path, reason: otherReason(path) });
    }
  }
}
