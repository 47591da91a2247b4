import { LAMBDA_RUNTIME_ENV } from "../catalog/index.js";
import type { Lock, LockAsset } from "../lock/lock.js";
import { assetDir, viewOf } from "./wrapper.js";

/** The ENV a rendered Dockerfile sets, sorted by name, plus conflicts found while merging assets. */
export interface EnvPlan {
  env: Record<string, string>;
  warnings: string[];
}

/**
 * Moves a path from one asset root to another: `/cache/nltk_data` under `/opt/ml` becomes `/opt/ml/nltk_data`.
 * `:`-separated lists (NLTK_DATA may hold several directories) are moved entry by entry; anything not under
 * `from` (`/tmp/hf_xet`, `1`) is returned unchanged.
 */
export function rebasePath(value: string, from: string, to: string): string {
  if (from === to) return value;
  const root = from.replace(/\/+$/, "");
  const target = to.replace(/\/+$/, "");
  return value
    .split(":")
    .map((part) =>
      part === root ? target : part.startsWith(`${root}/`) ? target + part.slice(root.length) : part,
    )
    .join(":");
}

/**
 * The value of one of an asset's variables in the image: re-based from the lock's asset root onto the image's,
 * and, for a `writable` asset, onto its writable view under /tmp (the wrapper builds it at start).
 */
export function assetEnvValue(
  asset: Pick<LockAsset, "id" | "target" | "writable">,
  raw: string,
  lockRoot: string,
  assetRoot: string,
): string {
  const value = rebasePath(raw, lockRoot, assetRoot);
  return asset.writable ? rebasePath(value, assetDir(assetRoot, asset.target), viewOf(asset)) : value;
}

/**
 * Exactly the variables the found assets need (their lock `env`, re-based onto the asset image's root, or
 * onto the writable view of a `writable` asset), plus, for the Lambda target, the always-on redirects
 * (`HOME=/tmp`, matplotlib, numba). An asset's own value wins over the always-on one; two assets disagreeing
 * on one variable keep the first (by asset id) and warn.
 */
export function planEnv(lock: Lock, assetRoot: string, lambda: boolean): EnvPlan {
  const env: Record<string, string> = {};
  const owner: Record<string, string> = {};
  const warnings: string[] = [];
  const assets = [...lock.assets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const asset of assets) {
    for (const [name, raw] of Object.entries(asset.env)) {
      const value = assetEnvValue(asset, raw, lock.assetRoot, assetRoot);
      const previous = env[name];
      if (previous !== undefined && previous !== value) {
        warnings.push(
          `assets ${owner[name]} and ${asset.id} both set ${name} (${previous} vs ${value}); keeping ${previous}`,
        );
        continue;
      }
      env[name] = value;
      owner[name] = asset.id;
    }
  }
  if (lambda) {
    for (const [name, value] of Object.entries(LAMBDA_RUNTIME_ENV)) env[name] ??= value;
  }
  return { env: sortRecord(env), warnings };
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// The ENV writers live with the other injection-proof writers; re-exported for callers of the ENV plan.
export { formatEnv, quoteValue } from "./instructions.js";
