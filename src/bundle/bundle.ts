import { join } from "node:path";
import { getEntry } from "../catalog/index.js";
import { UsageError } from "../errors.js";
import type { RunContext } from "../events.js";
import {
  type BuildResult,
  buildImage,
  type Compression,
  type ImageAsset,
  type Platform,
} from "../image/index.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";

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

/** Builds the asset image for the lock's assets into an OCI layout, without a Docker daemon. */
export async function bundle(opts: BundleOptions, ctx: RunContext): Promise<BundleResult> {
  if (opts.lock.assets.length === 0) {
    throw new UsageError("mlpack.lock.json lists no assets", {
      code: "E_NO_ASSETS",
      hint: "Run `mlpack discover` on a command that downloads models, or add directories with --include.",
    });
  }
  const digest = lockDigest(opts.lock);
  const result = await buildImage({
    assets: opts.lock.assets.map((a) => ({
      id: a.id,
      target: a.target,
      dir: stagedDir(opts.projectDir, a.id),
      layering: layeringFor(a.library),
      // A stale or half-deleted .mlpack/assets is caught by the scan (file count and bytes, not a re-hash).
      expect: { files: a.files, bytes: a.bytes },
    })),
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
    emit: ctx.emit,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  return { ...result, lockDigest: digest, layoutDir: opts.layoutDir };
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
