import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST } from "../bundle/bundle.js";
import { assetEnvValue } from "../dockerfile/env-block.js";
import { assetDir } from "../dockerfile/wrapper.js";
import type { Lock } from "../lock/lock.js";
import { lockDigest } from "../lock/lock-digest.js";
import { envSatisfies } from "../util/path-lists.js";
import type { Finding } from "./diagnose.js";

export interface LockCheck {
  /** Where the image keeps the assets: its `dev.mlpack.asset-root` label, else the lock's root. */
  assetRoot: string;
  /** Each asset's directory in the image, to be checked for existence. */
  assetDirs: { asset: string; path: string }[];
  /** Variable problems: missing from the image, or set to something else than the asset needs. */
  findings: Finding[];
  /** Whether the image's `dev.mlpack.lock-digest` label names this lock; null when it has no label. */
  sameLock: boolean | null;
  lockDigest: string;
}

/**
 * Compares the image's ENV with what the lock's assets need (re-based onto the image's asset root). When the
 * image says it came from another lock, problems are warnings: the lock in the working directory may simply
 * be newer than the image.
 */
export function checkAgainstLock(
  lock: Lock,
  imageEnv: Record<string, string>,
  labels: Record<string, string>,
): LockCheck {
  const digest = lockDigest(lock);
  const labelled = labels[LABEL_LOCK_DIGEST];
  const sameLock = labelled === undefined ? null : labelled === digest;
  const severity: Finding["severity"] = sameLock === false ? "warning" : "error";
  const assetRoot = (labels[LABEL_ASSET_ROOT] ?? lock.assetRoot).replace(/\/+$/, "") || "/";
  const findings: Finding[] = [];
  const assetDirs = lock.assets.map((a) => ({
    asset: a.id,
    path: assetDir(assetRoot, a.target),
  }));
  for (const asset of lock.assets) {
    for (const [variable, raw] of Object.entries(asset.env)) {
      const expected = assetEnvValue(asset, raw, lock.assetRoot, assetRoot);
      const actual = imageEnv[variable];
      if (actual === undefined) {
        findings.push({
          kind: "missing-env",
          severity,
          variable,
          asset: asset.id,
          message: `${variable} is not set in the image; asset ${asset.id} needs ${variable}=${expected}`,
        });
      } else if (!envSatisfies(variable, actual, expected)) {
        findings.push({
          kind: "wrong-env",
          severity,
          variable,
          asset: asset.id,
          message: `${variable}=${actual} in the image, but asset ${asset.id} needs ${variable}=${expected}`,
        });
      }
    }
  }
  return { assetRoot, assetDirs, findings, sameLock, lockDigest: digest };
}

/** The asset a path belongs to (by directory prefix), for messages. */
export function assetOf(path: string, dirs: readonly { asset: string; path: string }[]): string | undefined {
  return dirs.find((d) => path === d.path || path.startsWith(`${d.path}/`))?.asset;
}
