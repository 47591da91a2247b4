import { join, relative } from "node:path";
import { getEntry } from "../catalog/index.js";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import { refNameFor } from "../image/layout-writer.js";
import {
  type BuildResult,
  buildImage,
  type Compression,
  type ImageAsset,
  type Platform,
} from "../image/index.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { newestCtime, readStageStamp, writeStageStamp } from "../lock/stage-stamp.js";
import { digestTree } from "../lock/tree-digest.js";

import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST, LABEL_VERSION } from "./labels.js";

export { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST, LABEL_VERSION };

export interface BundleOptions {
  lock: Lock;
  projectDir: string;
  layoutDir: string;
  assetRoot: string;
  compression: Compression;
  platform: Platform;
  sourceDateEpoch: number;
  version: string;
  /** `--tag`: its TAG names mlpack's image in the layout's index.json (default "latest"). */
  tag?: string;
}

export interface BundleResult extends BuildResult {
  lockDigest: string;
  layoutDir: string;
}

/** Staged tree of an asset. */
export function stagedDir(projectDir: string, id: string): string {
  return join(projectDir, ".mlpack", "assets", id);
}

/** HF-style caches get one layer per repo folder, so one model changing re-uploads only its layer. */
function layeringFor(library: string): ImageAsset["layering"] {
  return getEntry(library)?.locations.some((l) => l.hfRepos) ? "hf-repos" : "single";
}

/**
 * The check for a staged tree the stamp cannot vouch for (none, or something changed after staging): the
 * lock's per-asset digest, recomputed. A match re-stamps the tree, so the next bundle is fast again.
 */
async function verifyAgainstLock(stageDir: string, asset: LockAsset): Promise<void> {
  const dir = join(stageDir, asset.id);
  let found: string;
  try {
    found = (await digestTree(dir)).digest;
  } catch (error) {
    newestCtime(dir); // a name that is not UTF-8 is what string paths cannot open: say so
    throw error;
  }
  if (found !== asset.digest) {
    throw new UsageError(
      `staged asset ${asset.id} changed after discover staged it: its content no longer matches mlpack.lock.json (${asset.digest.slice(0, 19)}…)`,
      { code: "E_ASSET_STALE", hint: "Run `mlpack discover` again to re-stage it (nothing was written to the layout)." },
    );
  }
  await writeStageStamp(stageDir, asset);
}

/** Builds the asset image for the lock's assets into an OCI layout, without a Docker daemon. */
export async function bundle(opts: BundleOptions, ctx: RunContext): Promise<BundleResult> {
  if (opts.lock.assets.length === 0) {
    throw new UsageError("mlpack.lock.json lists no assets", {
      code: "E_NO_ASSETS",
      hint: "Run `mlpack discover` on a command that downloads models, or add directories with --include.",
    });
  }
  const digest = lockDigest(opts.lock);
  const stageDir = join(opts.projectDir, ".mlpack", "assets");
  const byId = new Map(opts.lock.assets.map((a) => [a.id, a]));
  const assets: ImageAsset[] = [];
  for (const a of opts.lock.assets) {
    const stampCtimeMs = await readStageStamp(stageDir, a);
    assets.push({
      id: a.id,
      target: a.target,
      dir: stagedDir(opts.projectDir, a.id),
      layering: layeringFor(a.library),
      // Counted in the same pass as the layers; edits are caught by the stage stamp (lock/stage-stamp).
      expect: { files: a.files, bytes: a.bytes },
      ...(stampCtimeMs === undefined ? {} : { stampCtimeMs }),
    });
  }
  const result = await buildImage({
    assets,
    verifyAsset: (asset) => verifyAgainstLock(stageDir, byId.get(asset.id) as LockAsset),
    assetRoot: opts.assetRoot,
    compression: opts.compression,
    platform: opts.platform,
    sourceDateEpoch: opts.sourceDateEpoch,
    labels: {
      [LABEL_LOCK_DIGEST]: digest,
      [LABEL_VERSION]: opts.version,
      [LABEL_ASSET_ROOT]: opts.assetRoot,
    },
    layoutDir: opts.layoutDir,
    tag: refNameFor(opts.tag),
    ownLayout: isInside(join(opts.projectDir, ".mlpack"), opts.layoutDir),
    emit: ctx.emit,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  return { ...result, lockDigest: digest, layoutDir: opts.layoutDir };
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org): a non-negative integer, else 0. Garbage is an error, not 0. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === "") return 0;
  if (!/^\d+$/.test(raw)) {
    throw new UsageError(`SOURCE_DATE_EPOCH=${raw} is not a Unix timestamp`, {
      hint: "Use seconds since 1970, e.g. $(git log -1 --format=%ct).",
    });
  }
  return Number(raw);
}
