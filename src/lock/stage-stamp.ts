import { lstatSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson } from "../util/canonical-json.js";
import { isCarriableName, unsupportedName } from "../util/names.js";

/**
 * A stage stamp says "this staged tree is exactly what the lock describes, as of this moment": written by
 * discover right after it published the tree, next to it (`.mlpack/assets/.stamp-<id>.json`). It holds no
 * per-file data, only the newest ctime in the tree: any later change to a file (a same-size edit included),
 * to a folder (an entry added, removed, renamed or swapped for a link) gets a newer ctime, which the bundle
 * pass sees on the lstat/fstat it makes anyway. A restored cache (`.mlpack/assets` from CI), a copy or a
 * touched file therefore has newer ctimes, and bundle then re-digests that asset against the lock
 * (lock/tree-digest) instead of trusting it; a stamp of another lock digest is ignored. The one blind spot
 * is a change within the filesystem's timestamp granularity of the stamp itself (a few ms after discover).
 */
export interface StageStamp {
  schemaVersion: 1;
  id: string;
  /** The lock's digest of the asset the stamp vouches for. */
  digest: string;
  files: number;
  bytes: number;
  /** The newest ctime (ms, as Node's Stats report it) of the tree's root, folders, files and links. */
  newestCtimeMs: number;
}

export interface StampedAsset {
  id: string;
  digest: string;
  files: number;
  bytes: number;
}

export const stampPath = (stageDir: string, id: string): string => join(stageDir, `.stamp-${id}.json`);

/** The newest ctime in a tree, without following links; a name that is not UTF-8 is E_UNSUPPORTED_NAME. */
export function newestCtime(root: string): number {
  let newest = lstatSync(root).ctimeMs;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    for (const dirent of readdirSync(dir, { withFileTypes: true, encoding: "buffer" })) {
      if (!isCarriableName(dirent.name)) {
        throw unsupportedName(Buffer.concat([Buffer.from(`${dir}/`), dirent.name]), "a staged asset");
      }
      const path = `${dir}/${dirent.name.toString("utf8")}`;
      const ctime = lstatSync(path).ctimeMs;
      if (ctime > newest) newest = ctime;
      if (dirent.isDirectory()) pending.push(path);
    }
  }
  return newest;
}

/** Stamps the published trees of `assets` (each under `stageDir/<id>`). */
export async function writeStageStamps(stageDir: string, assets: ReadonlyArray<StampedAsset>): Promise<void> {
  for (const asset of assets) await writeStageStamp(stageDir, asset);
}

export async function writeStageStamp(stageDir: string, asset: StampedAsset): Promise<void> {
  const stamp: StageStamp = {
    schemaVersion: 1,
    id: asset.id,
    digest: asset.digest,
    files: asset.files,
    bytes: asset.bytes,
    newestCtimeMs: newestCtime(join(stageDir, asset.id)),
  };
  await writeFileAtomic(stampPath(stageDir, asset.id), `${canonicalJson(stamp)}\n`, {
    action: `recording the stage stamp of asset ${asset.id}`,
  });
}

/** The stamp's newest ctime when it vouches for exactly this lock entry; undefined otherwise (or missing). */
export async function readStageStamp(stageDir: string, asset: StampedAsset): Promise<number | undefined> {
  let stamp: Partial<StageStamp>;
  try {
    stamp = JSON.parse(await readFile(stampPath(stageDir, asset.id), "utf8")) as Partial<StageStamp>;
  } catch {
    return undefined;
  }
  const matches =
    stamp.schemaVersion === 1 &&
    stamp.id === asset.id &&
    stamp.digest === asset.digest &&
    stamp.files === asset.files &&
    stamp.bytes === asset.bytes &&
    typeof stamp.newestCtimeMs === "number" &&
    Number.isFinite(stamp.newestCtimeMs);
  return matches ? stamp.newestCtimeMs : undefined;
}
