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
  /** The local engine, or undefined when it cannot be reached (only an unpinned --asset-image needs it). */
  docker?: Docker;
}

export interface ResolvedAssetImage {
  ref: AssetImageRef;
  warnings: string[];
}

/**
 * Picks the asset image and pins it by digest: `--asset-image` (resolved through the local engine when it has
 * no digest), else the last pushed reference, else the last loaded image (by image ID, see pin-comment.ts),
 * else the last bundle's manifest digest with a warning. Labels of a local image fill in its asset root.
 */
export async function resolveAssetImage(opts: ResolveAssetImageOptions): Promise<ResolvedAssetImage> {
  const { state, docker } = opts;
  const warnings: string[] = [];
  if (opts.flag !== undefined && opts.flag.trim() !== "") {
    return { ref: await fromFlag(opts.flag.trim(), docker), warnings };
  }
  const fromBundle = (manifestDigest: string) =>
    state.bundle?.manifestDigest === manifestDigest
      ? { assetRoot: state.bundle.assetRoot, lockDigest: state.bundle.lockDigest }
      : {};
  if (state.push) {
    const ref: AssetImageRef = {
      from: state.push.reference,
      pin: "registry-digest",
      name: state.push.reference,
      source: "push",
      ...fromBundle(state.push.digest),
    };
    return { ref, warnings };
  }
  if (state.load) {
    const { tag, imageId, manifestDigest } = state.load;
    const local = docker ? await inspectOrUndefined(docker, imageId) : undefined;
    if (docker && !local) {
      warnings.push(
        `the loaded asset image ${tag} (${imageId.slice(0, 19)}) is no longer in the local engine; run \`mlpack bundle --load\` again`,
      );
    }
    const ref: AssetImageRef = {
      from: imageId,
      pin: "image-id",
      name: `${tag} (loaded; manifest ${manifestDigest})`,
      source: "load",
      ...fromBundle(manifestDigest),
      ...labelsOf(local),
    };
    return { ref, warnings };
  }
  if (state.bundle) {
    const { manifestDigest } = state.bundle;
    warnings.push(
      "the asset image was built but neither loaded nor pushed; the FROM line resolves only after `mlpack push` (then re-run `mlpack dockerfile`) or with --asset-image",
    );
    const ref: AssetImageRef = {
      from: `mlpack-assets@${manifestDigest}`,
      pin: "manifest-digest",
      name: `.mlpack/oci (manifest ${manifestDigest})`,
      source: "bundle",
      ...fromBundle(manifestDigest),
    };
    return { ref, warnings };
  }
  throw new UsageError("no asset image to copy from", {
    code: "E_NO_ASSET_IMAGE",
    hint: "Run `mlpack bundle --load` or `mlpack push` first, or pass --asset-image REF@sha256:<digest>.",
  });
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
