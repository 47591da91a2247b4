import type { StoragePlan } from "./storage.js";
import type { DockerfileTarget } from "./template.js";
import type { ViewPlan } from "./wrapper.js";

/** How the asset image reference in `FROM` is pinned. */
export type AssetImagePin =
  /** `registry/repo@sha256:<manifest digest>`: resolvable by any builder that can reach the registry. */
  | "registry-digest"
  /**
   * `sha256:<image id>` (the digest of the image config): what a `docker load`ed image can be pinned by in
   * Docker's graphdriver store, which records no repository digest for loaded images.
   */
  | "image-id";

/** The asset image a Dockerfile copies from, as resolved from the flag or `.mlpack/state.json`. */
export interface AssetImageRef {
  /** What follows `FROM`. */
  from: string;
  pin: AssetImagePin;
  /** Human name: the tag or reference the user knows it by. */
  name: string;
  source: "flag" | "push" | "load";
  /** The asset root recorded in the image (label `dev.mlpack.asset-root`), when known. */
  assetRoot?: string;
  /** The lock the image was built from (label `dev.mlpack.lock-digest`), when known. */
  lockDigest?: string;
}

/** Everything a render needs besides the lock and the template. */
export interface RenderOptions {
  target: DockerfileTarget;
  /** Base image; defaulted for lambda by the caller. */
  base: string;
  /** Lambda handler `module.function`. */
  handler: string;
  /** Generic target command, already split into words. */
  cmd?: string[];
  requirements?: string;
  /** Project paths to copy (relative); empty = the handler's module for lambda, nothing for generic. */
  copy: readonly string[];
  link: boolean;
  version: string;
  /** The asset image; required unless `assets` is false or `storage` is given. */
  assetImage?: AssetImageRef;
  /**
   * false: the app-only Dockerfile `mlpack assemble` builds on (base, dependencies, code; no asset stage, no
   * asset COPY, no ENV). The entrypoint wrapper stays when the lock has writable or HOME assets.
   */
  assets?: boolean;
  /** Lambda target: where the code goes (the base's LAMBDA_TASK_ROOT when known, else /var/task). */
  taskRoot?: string;
  /** The base image's ENTRYPOINT and CMD when it exists locally (the wrapper execs the entrypoint). */
  baseEntrypoint?: string[];
  baseCmd?: string[];
  /** --storage efs|s3 (storage.ts): no asset stage or COPY; the ENV points under the storage's root. */
  storage?: StoragePlan;
  /** Uncompressed size of the base image when it exists locally. */
  baseImageBytes?: number;
}

export interface RenderedCopy {
  asset: string;
  path: string;
}

export interface RenderResult {
  dockerfile: string;
  env: Record<string, string>;
  copies: RenderedCopy[];
  /** Project paths copied into the image, after defaulting. */
  code: string[];
  notes: { library: string; note: string }[];
  assetRoot: string;
  /** Writable views and HOME links the entrypoint wrapper makes at start; empty when there is no wrapper. */
  views: ViewPlan;
  /** The ENTRYPOINT the Dockerfile sets (the wrapper and the original entrypoint), or null when it keeps the base's. */
  entrypoint: string[] | null;
  size: { assetBytes: number; baseBytes: number | null; totalBytes: number; limitBytes: number };
  warnings: string[];
}
