import { UsageError } from "../errors.js";
import {
  configTypeFor,
  type Descriptor,
  type Family,
  familyOf,
  type ImageManifest,
  isIndexType,
  layerCompression,
  layerTypeFor,
  manifestTypeFor,
} from "../registry/media-types.js";
import { sha256 } from "../registry/remote.js";
import { type EnvMergeResult, mergeEnv } from "./env-merge.js";

/**
 * The pure half of `mlpack assemble`: from the app image's manifest and config and the asset image's, the new
 * config (app config + the asset layers' diff_ids, one history entry per appended layer, the lock's ENV, the
 * mlpack labels) and the new manifest (the app's layers, then the asset layers by digest), all in the app's
 * media-type family. Nothing is downloaded: diff_ids come from the asset image's config, as crane does.
 */

export type ImageConfig = Record<string, unknown> & {
  created?: string;
  config?: Record<string, unknown> & { Env?: string[]; Labels?: Record<string, string> };
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: HistoryEntry[];
};

interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface PlanImage {
  role: "app" | "assets";
  /** For messages: the reference the user gave. */
  name: string;
  digest: string;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

export interface PlanInput {
  app: PlanImage;
  assets: PlanImage;
  /** Variables the assets need (their locations): they win over the app's own values. */
  assetEnv: Record<string, string>;
  /** Always-on variables (Lambda's /tmp redirects): only where the app set nothing. */
  defaultEnv: Record<string, string>;
  labels: Record<string, string>;
}

export interface AssemblyPlan {
  family: Family;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  config: Buffer;
  configDescriptor: Descriptor;
  appLayers: Descriptor[];
  assetLayers: Descriptor[];
  env: EnvMergeResult;
  notes: string[];
}

const TITLE = "org.opencontainers.image.title";
const EPOCH = "1970-01-01T00:00:00Z";

function mediaTypeError(message: string, hint: string): UsageError {
  return new UsageError(message, { code: "E_MEDIA_TYPE", hint });
}

function layerLabel(image: PlanImage, i: number, layer: Descriptor): string {
  const title = layer.annotations?.[TITLE];
  return `${image.name} layer ${i + 1}${title ? ` (${title})` : ""}`;
}

/** A layer descriptor in `family`'s type, or an error naming the layer when the family has no such type. */
function retype(family: Family, image: PlanImage, i: number, layer: Descriptor, notes: string[]): Descriptor {
  const compression = layerCompression(layer.mediaType);
  if (compression === undefined) {
    throw mediaTypeError(
      `${layerLabel(image, i, layer)} has media type ${layer.mediaType}, which is not an image layer`,
      "Only tar, tar+gzip and tar+zstd layers can be assembled into a Lambda image.",
    );
  }
  const type = layerTypeFor(family, compression);
  if (type === undefined) {
    const fix =
      image.role === "assets"
        ? "Rebundle the assets with --compression auto, gzip or stored (all gzip), or assemble onto an OCI app image."
        : "Rebuild the app image with gzip layers, or convert it to OCI (skopeo copy --format oci).";
    throw mediaTypeError(
      `${layerLabel(image, i, layer)} is ${compression === "none" ? "an uncompressed tar" : "zstd-compressed"}, and a Docker v2s2 manifest has no such layer type (Lambda rejects it at deploy)`,
      fix,
    );
  }
  if (type !== layer.mediaType) notes.push(`${layerLabel(image, i, layer)}: media type ${layer.mediaType} → ${type}`);
  const out: Descriptor = { mediaType: type, digest: layer.digest, size: layer.size };
  // Docker v2s2 descriptors have no annotations; OCI keeps them (the asset layer titles).
  if (family === "oci" && layer.annotations) out.annotations = { ...layer.annotations };
  if (layer.urls) out.urls = [...layer.urls];
  return out;
}

function nonEmpty(history: readonly HistoryEntry[]): HistoryEntry[] {
  return history.filter((h) => h.empty_layer !== true);
}

export function planAssembly(input: PlanInput): AssemblyPlan {
  const { app, assets } = input;
  if (isIndexType(app.mediaType)) {
    throw mediaTypeError(`${app.name} is an index`, "Pick one platform with --platform.");
  }
  const family = familyOf(app.mediaType);
  if (family === undefined || !Array.isArray(app.manifest.layers)) {
    throw mediaTypeError(
      `${app.name} has manifest type ${app.mediaType}, neither an OCI nor a Docker v2s2 image manifest`,
      "Push the app image with a current docker or skopeo (they write Docker v2s2 or OCI).",
    );
  }
  const notes: string[] = [];
  const appLayers = app.manifest.layers.map((l, i) => retype(family, app, i, l, notes));
  const assetLayers = assets.manifest.layers.map((l, i) => retype(family, assets, i, l, notes));
  const assetDiffIds = assets.config.rootfs?.diff_ids ?? [];
  if (assetDiffIds.length !== assetLayers.length) {
    throw new UsageError(
      `${assets.name} lists ${assetLayers.length} layers but ${assetDiffIds.length} diff_ids in its config`,
      { code: "E_MEDIA_TYPE", hint: "The asset image is malformed; rebundle and push it." },
    );
  }
  const appDiffIds = app.config.rootfs?.diff_ids ?? [];
  if (appDiffIds.length !== appLayers.length) {
    throw new UsageError(
      `${app.name} lists ${appLayers.length} layers but ${appDiffIds.length} diff_ids in its config`,
      { code: "E_MEDIA_TYPE", hint: "The app image is malformed; rebuild and push it." },
    );
  }

  // The config: a deep copy of the app's, extended.
  const config = structuredClone(app.config);
  const inner = { ...(config.config ?? {}) };
  const env = mergeEnv(inner.Env ?? [], input.assetEnv, input.defaultEnv);
  inner.Env = env.env;
  inner.Labels = { ...(inner.Labels ?? {}), ...input.labels };
  config.config = inner;
  config.rootfs = { type: "layers", ...config.rootfs, diff_ids: [...appDiffIds, ...assetDiffIds] };
  const history = [...(config.history ?? [])];
  const created = config.created ?? EPOCH;
  // docker history pairs non-empty entries with layers in order: pad an app that recorded fewer.
  for (let n = nonEmpty(history).length; n < appLayers.length; n++) {
    history.push({ created, created_by: "(the app image recorded no history for this layer)" });
  }
  const assetHistory = nonEmpty(assets.config.history ?? []);
  assetLayers.forEach((layer, i) => {
    const own = assetHistory.length === assetLayers.length ? assetHistory[i] : undefined;
    const title = layer.annotations?.[TITLE] ?? assets.manifest.layers[i]?.annotations?.[TITLE];
    history.push({
      created: own?.created ?? created,
      created_by: `mlpack assemble: ${own?.created_by ?? `asset layer ${title ?? layer.digest}`}`,
      comment: `from ${assets.name}`,
    });
  });
  config.history = history;
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDescriptor: Descriptor = {
    mediaType: configTypeFor(family),
    digest: sha256(configBytes),
    size: configBytes.length,
  };

  const manifestMediaType = manifestTypeFor(family);
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: configDescriptor,
    layers: [...appLayers, ...assetLayers],
  };
  if (family === "oci") {
    manifest.annotations = {
      ...(app.manifest.annotations ?? {}),
      "org.opencontainers.image.base.digest": app.digest,
    };
  }
  if (app.manifest.subject !== undefined) notes.push(`${app.name}'s subject was dropped (ECR and Lambda reject it)`);
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    family,
    manifest: manifestBytes,
    manifestDigest: sha256(manifestBytes),
    manifestMediaType,
    config: configBytes,
    configDescriptor,
    appLayers,
    assetLayers,
    env,
    notes,
  };
}
