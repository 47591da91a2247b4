import type Docker from "dockerode";
import { LABEL_ASSET_ROOT, LABEL_LOCK_DIGEST } from "../bundle/bundle.js";
import { UsageError } from "../errors.js";
import type { State } from "../state/state.js";
import type { AssetImageRef } from "./types.js";

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const DIGEST_REF = /^[^@\s]+@sha256:[0-9a-f]{64}$/;

export interface ResolveAssetImageOptions {
  /** `--asset-image`, when given. */
  flag?: string;
  state: State;
  /** Digest of the lock the Dockerfile is rendered from: the pinned image must be its current bundle. */
  lockDigest: string;
  /** The local engine, or undefined when it cannot be reached (only an unpinned --asset-image needs it). */
  docker?: Docker;
}

export interface ResolvedAssetImage {
  ref: AssetImageRef;
  warnings: string[];
}

const REBUILD =
  "Run `mlpack bundle`, then `mlpack push` (or `mlpack bundle --load`), then `mlpack dockerfile` again; or pass --asset-image REF@sha256:<digest>.";

function stale(message: string, hint: string): UsageError {
  return new UsageError(message, { code: "E_STALE_ASSET_IMAGE", hint });
}

/**
 * Picks the asset image and pins it by digest: `--asset-image` (resolved through the local engine when it has
 * no digest), else the pushed or loaded image of the *current* bundle — the one `mlpack bundle` last built
 * from this very lock (`.mlpack/state.json` knows both digests). A pin of an older bundle would ship old
 * weights with a header naming the new lock, and a bundle that was never loaded or pushed cannot resolve in
 * FROM: both are refused with the command that fixes them.
 */
export async function resolveAssetImage(opts: ResolveAssetImageOptions): Promise<ResolvedAssetImage> {
  const { state, docker } = opts;
  const warnings: string[] = [];
  if (opts.flag !== undefined && opts.flag.trim() !== "") {
    return { ref: await fromFlag(opts.flag.trim(), docker), warnings };
  }
  const bundle = state.bundle;
  if (!bundle) {
    if (state.push || state.load) {
      throw stale(
        `.mlpack/state.json names an asset image (${state.push?.reference ?? state.load?.tag}) but no bundle of mlpack.lock.json: mlpack cannot tell which lock it holds`,
        REBUILD,
      );
    }
    throw new UsageError("no asset image to copy from: nothing was bundled, loaded or pushed in this project", {
      code: "E_NO_ASSET_IMAGE",
      hint: "Run `mlpack bundle --load` or `mlpack bundle` + `mlpack push` first, or pass --asset-image REF@sha256:<digest>.",
    });
  }
  if (bundle.lockDigest !== opts.lockDigest) {
    throw stale(
      `the last bundle (manifest ${bundle.manifestDigest.slice(0, 19)}) was built from another mlpack.lock.json (${bundle.lockDigest.slice(0, 19)}; this one is ${opts.lockDigest.slice(0, 19)}): its image holds other assets`,
      REBUILD,
    );
  }
  const fromBundle = { assetRoot: bundle.assetRoot, lockDigest: bundle.lockDigest };
  const push = state.push;
  const load = state.load;
  if (push && push.digest === bundle.manifestDigest) {
    const ref: AssetImageRef = {
      from: push.reference,
      pin: "registry-digest",
      name: push.reference,
      source: "push",
      ...fromBundle,
    };
    return { ref, warnings };
  }
  if (load && load.manifestDigest === bundle.manifestDigest) {
    const local = docker ? await inspectOrUndefined(docker, load.imageId) : undefined;
    if (docker && !local) {
      warnings.push(
        `the loaded asset image ${load.tag} (${load.imageId.slice(0, 19)}) is no longer in the local engine; run \`mlpack bundle --load\` again`,
      );
    }
    if (push) {
      warnings.push(
        `the pushed asset image ${push.reference} is an older bundle; pinning the loaded image of the current one (run \`mlpack push\` to pin by registry digest)`,
      );
    }
    const ref: AssetImageRef = {
      from: load.imageId,
      pin: "image-id",
      name: `${load.tag} (loaded; manifest ${load.manifestDigest})`,
      source: "load",
      ...fromBundle,
      ...labelsOf(local),
    };
    return { ref, warnings };
  }
  const current = `the current bundle of mlpack.lock.json is ${bundle.manifestDigest.slice(0, 19)}`;
  if (push) {
    throw stale(
      `the pushed asset image ${push.reference} is not the current bundle (${current}): the Dockerfile would copy old assets`,
      "Run `mlpack push` (or `mlpack bundle --load`), then `mlpack dockerfile` again.",
    );
  }
  if (load) {
    throw stale(
      `the loaded asset image ${load.tag} is not the current bundle (${current}): the Dockerfile would copy old assets`,
      "Run `mlpack bundle --load` (or `mlpack push`), then `mlpack dockerfile` again.",
    );
  }
  throw new UsageError(
    `the asset image was bundled (manifest ${bundle.manifestDigest.slice(0, 19)}) but neither loaded nor pushed, so a FROM line could not resolve it`,
    {
      code: "E_NO_ASSET_IMAGE",
      hint: "Run `mlpack push` (or `mlpack bundle --load`), then `mlpack dockerfile` again; or pass --asset-image REF@sha256:<digest>.",
    },
  );
}

async function fromFlag(flag: string, docker: Docker | undefined): Promise<AssetImageRef> {
  if (DIGEST_REF.test(flag)) {
    const local = docker ? await inspectOrUndefined(docker, flag) : undefined;
    return { from: flag, pin: "registry-digest", name: flag, source: "flag", ...labelsOf(local) };
  }
  const id = /^[0-9a-f]{64}$/.test(flag) ? `sha256:${flag}` : flag;
  if (!docker) {
    throw new UsageError(
      `--asset-image ${flag} is not pinned by digest and the Docker engine is unreachable to resolve it`,
      {
        code: "E_ASSET_IMAGE_UNPINNED",
        hint: "Pass --asset-image REPO@sha256:<digest> (as printed by `mlpack push`), or start Docker so the local image can be resolved.",
      },
    );
  }
  const local = await inspectOrUndefined(docker, id);
  if (!local) {
    throw new UsageError(`--asset-image ${flag} is not pinned by digest and is not a local image`, {
      code: "E_ASSET_IMAGE_UNPINNED",
      hint: "Pass --asset-image REPO@sha256:<digest> (as printed by `mlpack push`), or load it first with `mlpack bundle --load`.",
    });
  }
  if (DIGEST.test(id))
    return { from: local.Id, pin: "image-id", name: flag, source: "flag", ...labelsOf(local) };
  const repo = repositoryOf(flag);
  const digests = local.RepoDigests ?? [];
  // Only a digest of the repository the user named: the same content pushed elsewhere (another repo, a test
  // registry) is not a reference they chose and may not be reachable from their builder.
  const repoDigest = digests.find((d) => d.startsWith(`${repo}@`));
  if (repoDigest)
    return { from: repoDigest, pin: "registry-digest", name: flag, source: "flag", ...labelsOf(local) };
  return { from: local.Id, pin: "image-id", name: flag, source: "flag", ...labelsOf(local) };
}

/** `host:5000/repo/name:tag` → `host:5000/repo/name` (a colon after the last slash starts the tag). */
export function repositoryOf(ref: string): string {
  const name = ref.split("@")[0]!;
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
}

function labelsOf(
  info: Docker.ImageInspectInfo | undefined,
): Pick<AssetImageRef, "assetRoot" | "lockDigest"> {
  const labels = info?.Config?.Labels ?? {};
  const out: Pick<AssetImageRef, "assetRoot" | "lockDigest"> = {};
  if (labels[LABEL_ASSET_ROOT]) out.assetRoot = labels[LABEL_ASSET_ROOT];
  if (labels[LABEL_LOCK_DIGEST]) out.lockDigest = labels[LABEL_LOCK_DIGEST];
  return out;
}

/** The local image, or undefined when the engine does not have it (404). Other errors propagate. */
export async function inspectOrUndefined(
  docker: Docker,
  ref: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}
