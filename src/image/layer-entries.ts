import type { LayerPart, LayerPlan } from "./layer-plan.js";
import type { TarEntry } from "./tar-entries.js";
import { compareUtf8 } from "../util/byte-order.js";
import { entryTarSize } from "./tar-header.js";
import type { TreeScan } from "./tree-scan.js";

/** A scanned asset plus where it goes in the image. */
export interface ScannedAsset {
  id: string;
  target: string;
  scan: TreeScan;
}

export interface LayerEntries {
  entries: TarEntry[];
  /** Regular files (hard links included), for the result table. */
  files: number;
  /** Exact uncompressed tar size, for progress totals. */
  tarSize: number;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

function under(rel: string, prefix: string): boolean {
  return rel === prefix || rel.startsWith(`${prefix}/`);
}

function isParentOf(rel: string, path: string): boolean {
  return path.startsWith(`${rel}/`);
}

function selected(rel: string, part: LayerPart): boolean {
  if (part.exclude.some((ex) => under(rel, ex))) return false;
  if (part.include === null) return true;
  return under(rel, part.include) || isParentOf(rel, part.include);
}

/** Every ancestor of a "/"-separated path, outermost first ("a/b/c" → "a", "a/b"). */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * The tar entries of one planned layer: `<assetRoot>/<target>/...` with every parent directory, sorted by
 * name in byte order (so parents precede children), duplicates dropped, and a file seen again under another
 * name (same dev+ino) written as a hard link to its first name.
 *
 * Scans are already in byte order, and one prefix in front of every name keeps that order, so a layer of
 * one part (nearly all of them) is a single filtered pass with one object per entry: no map, no re-sort,
 * nothing for the GC to promote and then drop (20k-file layers made ~20 MB of such garbage).
 */
export function layerEntries(
  plan: LayerPlan,
  assets: ReadonlyMap<string, ScannedAsset>,
  assetRoot: string,
): LayerEntries {
  let entries: TarEntry[] = [];
  const inodes = new Map<TarEntry, string>();
  for (const part of plan.parts) {
    const asset = assets.get(part.assetId);
    if (!asset) throw new Error(`layer plan names unknown asset ${part.assetId}`);
    const prefix = [trimSlashes(assetRoot), trimSlashes(asset.target)].filter((p) => p !== "").join("/");
    for (const dir of [...ancestors(prefix), prefix]) {
      if (dir !== "") entries.push({ name: dir, type: "dir", mode: 0o755, size: 0 });
    }
    for (const scanned of asset.scan.entries) {
      if (!selected(scanned.rel, part)) continue;
      const entry: TarEntry = {
        name: prefix === "" ? scanned.rel : `${prefix}/${scanned.rel}`,
        type: scanned.type,
        mode: scanned.mode,
        size: scanned.type === "file" ? scanned.size : 0,
      };
      if (scanned.linkname !== undefined) entry.linkname = scanned.linkname;
      // Content is read when the tar stream reaches the entry; dir and rel are shared, not copied.
      if (scanned.type === "file") entry.source = { dir: asset.scan.dir, rel: scanned.rel };
      if (scanned.inode !== undefined) inodes.set(entry, scanned.inode);
      entries.push(entry);
    }
  }
  if (plan.parts.length > 1) entries = sortedUnique(entries);
  const firstByInode = new Map<string, string>();
  let files = 0;
  let tarSize = 1024;
  for (const [i, entry] of entries.entries()) {
    if (entry.type === "file") files += 1;
    const inode = inodes.get(entry);
    if (inode !== undefined) {
      const first = firstByInode.get(inode);
      if (first === undefined) firstByInode.set(inode, entry.name);
      else entries[i] = { name: entry.name, type: "hardlink", mode: entry.mode, size: 0, linkname: first };
    }
    tarSize += entryTarSize(entries[i] as TarEntry);
  }
  return { entries, files, tarSize };
}

/** Byte-order sort; of entries with the same name (parts that overlap) the first one listed wins. */
function sortedUnique(entries: TarEntry[]): TarEntry[] {
  const order = new Map<TarEntry, number>(entries.map((e, i) => [e, i]));
  const sorted = entries.sort((a, b) => compareUtf8(a.name, b.name) || (order.get(a) as number) - (order.get(b) as number));
  return sorted.filter((e, i) => i === 0 || (sorted[i - 1] as TarEntry).name !== e.name);
}
