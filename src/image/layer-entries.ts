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
 */
export function layerEntries(
  plan: LayerPlan,
  assets: ReadonlyMap<string, ScannedAsset>,
  assetRoot: string,
): LayerEntries {
  const byName = new Map<string, TarEntry & { inode?: string }>();
  const addDir = (name: string) => {
    if (name !== "" && !byName.has(name)) byName.set(name, { name, type: "dir", mode: 0o755, size: 0 });
  };
  for (const part of plan.parts) {
    const asset = assets.get(part.assetId);
    if (!asset) throw new Error(`layer plan names unknown asset ${part.assetId}`);
    const prefix = [trimSlashes(assetRoot), trimSlashes(asset.target)].filter((p) => p !== "").join("/");
    for (const dir of [...ancestors(prefix), prefix]) addDir(dir);
    for (const scanned of asset.scan.entries) {
      if (!selected(scanned.rel, part)) continue;
      const name = prefix === "" ? scanned.rel : `${prefix}/${scanned.rel}`;
      if (byName.has(name)) continue;
      const entry: TarEntry & { inode?: string } = {
        name,
        type: scanned.type,
        mode: scanned.mode,
        size: scanned.type === "file" ? scanned.size : 0,
      };
      if (scanned.linkname !== undefined) entry.linkname = scanned.linkname;
      if (scanned.inode !== undefined) entry.inode = scanned.inode;
      // Content is read when the tar stream reaches the entry; dir and rel are shared, not copied.
      if (scanned.type === "file") entry.source = { dir: asset.scan.dir, rel: scanned.rel };
      byName.set(name, entry);
    }
  }
  const sorted = [...byName.values()].sort((a, b) => compareUtf8(a.name, b.name));
  const firstByInode = new Map<string, string>();
  let files = 0;
  let tarSize = 1024;
  const entries = sorted.map((candidate): TarEntry => {
    const { inode, ...entry } = candidate;
    if (entry.type === "file") files += 1;
    if (inode !== undefined) {
      const first = firstByInode.get(inode);
      if (first === undefined) firstByInode.set(inode, entry.name);
      else {
        const link: TarEntry = {
          name: entry.name,
          type: "hardlink",
          mode: entry.mode,
          size: 0,
          linkname: first,
        };
        tarSize += entryTarSize(link);
        return link;
      }
    }
    tarSize += entryTarSize(entry);
    return entry;
  });
  return { entries, files, tarSize };
}
