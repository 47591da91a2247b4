import { createHash } from "node:crypto";
import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { join } from "node:path";
import { compareUtf8 } from "../util/byte-order.js";
import { isCarriableName, unsupportedName } from "../util/names.js";
import { NO_FOLLOW_READ, SMALL_FILE } from "../util/staged-reads.js";

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

/** Hand the event loop back (progress, Ctrl-C) after this much synchronous work. */
const YIELD_EVERY_ENTRIES = 1024;
const YIELD_EVERY_BYTES = 32 << 20;

/** sha256 of a small file's bytes, read synchronously into `buffer` (reused), to the end of the file. */
function sha256Small(path: string, buffer: Buffer): string {
  const hash = createHash("sha256");
  const fd = openSync(path, NO_FOLLOW_READ);
  try {
    for (let position = 0; ; ) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** A directory's names in byte order, refusing a name that is not UTF-8 (see walkTree). */
function sortedNames(root: string, rel: string): string[] {
  const raw = readdirSync(rel ? `${root}/${rel}` : root, { encoding: "buffer" });
  for (const name of raw) {
    if (!isCarriableName(name)) throw unsupportedName(Buffer.concat([Buffer.from(join(root, rel, "/")), name]), "a staged tree");
  }
  return raw.map((n) => n.toString("utf8")).sort(compareUtf8);
}

interface Listing {
  rel: string;
  names: string[];
  next: number;
}

/**
 * Walks a tree in byte order (parents first), streaming file hashes; other entry types are ignored. Names are
 * read as bytes: one that is not UTF-8 is refused (E_UNSUPPORTED_NAME) rather than read back under a mangled
 * string that names another file or none. Listings, lstat and small files are synchronous (one directory's
 * sorted names held at a time, a stack of them for the depth); large files stream on the thread pool; the
 * event loop gets a turn every YIELD_EVERY_ENTRIES entries or YIELD_EVERY_BYTES bytes. An async call per
 * step (and a generator per folder) made 100k small files take ~50 s.
 */
export async function* walkTree(root: string): AsyncGenerator<TreeEntry> {
  const base = root.length > 1 ? root.replace(/\/+$/, "") : root;
  const buffer = Buffer.allocUnsafe(SMALL_FILE);
  const stack: Listing[] = [{ rel: "", names: sortedNames(base, ""), next: 0 }];
  let entries = 0;
  let bytes = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Listing;
    if (top.next === top.names.length) {
      stack.pop();
      continue;
    }
    const name = top.names[top.next++] as string;
    const path = top.rel ? `${top.rel}/${name}` : name;
    const full = `${base}/${path}`;
    const st = lstatSync(full);
    if (st.isDirectory()) {
      yield { path, type: "dir", mode: normalisedMode("dir", st.mode), size: 0, content: "" };
      stack.push({ rel: path, names: sortedNames(base, path), next: 0 });
    } else if (st.isSymbolicLink()) {
      yield { path, type: "symlink", mode: 0o777, size: 0, content: readlinkSync(full) };
    } else if (st.isFile()) {
      const small = st.size <= SMALL_FILE;
      const content = small ? sha256Small(full, buffer) : await sha256File(full);
      if (small) bytes += st.size;
      yield { path, type: "file", mode: normalisedMode("file", st.mode), size: st.size, content };
    }
    if (++entries >= YIELD_EVERY_ENTRIES || bytes >= YIELD_EVERY_BYTES) {
      entries = 0;
      bytes = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * Accumulates the lock's per-asset digest: sha256 over the sorted (path, mode, size, sha256|linktarget) list, one
 * line per entry. Entries must arrive in walk order (see `sortForDigest` for entries collected in another order).
 */
export class TreeDigest {
  private readonly hash = createHash("sha256");
  private files = 0;
  private bytes = 0;

  add(entry: TreeEntry): void {
    this.hash.update(`${entry.path}\0${entry.type}\0${entry.mode.toString(8)}\0${entry.size}\0${entry.content}\n`);
    if (entry.type !== "dir") this.files += 1;
    this.bytes += entry.size;
  }

  summary(): TreeSummary {
    return { digest: `sha256:${this.hash.digest("hex")}`, files: this.files, bytes: this.bytes };
  }
}

/**
 * Sorts entries into `walkTree`'s order: per directory by name in byte order, each directory followed by its
 * contents. That is the byte order of the paths with "/" ranked below every other character, which "\0" (never
 * part of a name) gives.
 */
export function sortForDigest(entries: TreeEntry[]): TreeEntry[] {
  const keyed = entries.map((entry) => ({ entry, key: entry.path.replaceAll("/", "\0") }));
  keyed.sort((a, b) => compareUtf8(a.key, b.key));
  return keyed.map((k) => k.entry);
}

/** The digest of entries collected in any order (e.g. while extracting an archive), as `digestTree` would give. */
export function digestEntries(entries: TreeEntry[]): TreeSummary {
  const digest = new TreeDigest();
  for (const entry of sortForDigest(entries)) digest.add(entry);
  return digest.summary();
}

/**
 * The lock's per-asset digest of a staged tree on disk. Independent of mtimes, owners and directory read order,
 * so the docker and local runners agree.
 */
export async function digestTree(root: string): Promise<TreeSummary> {
  const digest = new TreeDigest();
  for await (const entry of walkTree(root)) digest.add(entry);
  return digest.summary();
}
