import type { ManifestFile } from "./manifest.js";
import type { SourceFile } from "./source.js";

/**
 * The incremental decisions of an export, as pure functions over what is known about the destination, so
 * they can be table-tested: what to send, what is provably there already, and what may be deleted.
 */

/** What a listing of the destination says about one object or file. */
export interface RemoteObject {
  size: number;
  /** S3: the ETag from the listing (a version token: it changes whenever the object is rewritten). */
  etag?: string;
}

export type S3Decision =
  /** Not there, or another size: upload. */
  | "upload"
  /** Same size and our previous manifest recorded this sha256 with this very ETag: no request needed. */
  | "skip"
  /** Same size, but nothing we recorded says it is our content: HeadObject and compare its sha256 metadata. */
  | "head";

/**
 * Whether `file` must be uploaded to S3. An ETag is never compared with a content hash (a multipart ETag is
 * not one); it only proves that the object is still the one our previous export wrote and recorded.
 */
export function decideS3(file: SourceFile, remote: RemoteObject | undefined, previous: ManifestFile | undefined): S3Decision {
  if (!remote || remote.size !== file.size) return "upload";
  if (previous && previous.sha256 === file.sha256 && previous.size === file.size && previous.etag !== undefined && previous.etag === remote.etag) {
    return "skip";
  }
  return "head";
}

/** After a HeadObject: skip only when the object's own size and sha256 metadata match the file. */
export function headMatches(file: SourceFile, head: { size: number | undefined; sha256: string | undefined }): boolean {
  return head.size === file.size && head.sha256 === file.sha256;
}

/** What lstat says about a path in a destination folder. */
export interface LocalEntry {
  type: "file" | "symlink" | "dir" | "other";
  size: number;
  mode: number;
  /** Files: size, mtime, ctime and inode (hash-cache statKey). */
  statKey: string;
  target?: string;
}

export type DirFileDecision =
  /** Nothing there, or another size or type: write it (temp file + rename). */
  | "write"
  /** The file is, stat for stat, the one an earlier export wrote or hashed with this sha256: untouched. */
  | "skip"
  /** Same size but nothing vouches for the content: hash the destination file and write only when it differs. */
  | "compare";

/** `vouched`: the sha256 the hash cache holds for the destination file's current stat key, if any. */
export function decideDirFile(file: SourceFile, existing: LocalEntry | undefined, vouched: string | undefined): DirFileDecision {
  if (!existing || existing.type !== "file" || existing.size !== file.size) return "write";
  return vouched === file.sha256 ? "skip" : "compare";
}

/**
 * Paths (or keys) to delete after the export: those a previous export wrote and this one no longer has, and,
 * with `prune`, everything else under the destination except the manifest. Without `prune`, nothing the
 * export did not write is ever deleted.
 */
export function stalePaths(opts: {
  keep: ReadonlySet<string>;
  previous: Iterable<string>;
  present: Iterable<string>;
  prune: boolean;
  manifest: string;
}): string[] {
  const out = new Set<string>();
  const present = new Set(opts.present);
  for (const path of opts.previous) if (!opts.keep.has(path) && present.has(path)) out.add(path);
  if (opts.prune) for (const path of present) if (!opts.keep.has(path) && path !== opts.manifest) out.add(path);
  return [...out].sort();
}

/** Part size for a multipart upload: 8 MiB, or more when the file would need over 10,000 parts (S3's limit). */
export function partSizeFor(size: number): number {
  const min = 8 * 1024 * 1024;
  return Math.max(min, Math.ceil(size / 10_000));
}
