import { MediaType } from "../image/types.js";

/**
 * The two manifest families a registry (and Lambda) accepts, and what their layers may be. OCI and Docker
 * gzip layers are "interchangeable and fully compatible" (image-spec media-types.md), but one manifest must
 * use one family: containers/image rejects OCI layer types under a Docker v2s2 manifest, podman trips over
 * Docker types under OCI, and a Docker manifest has no uncompressed layer type Lambda takes.
 */

/** The OCI types (the ones mlpack writes, plus zstd layers). */
export const OCI = { ...MediaType, layerZstd: "application/vnd.oci.image.layer.v1.tar+zstd" } as const;

export const DOCKER = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  list: "application/vnd.docker.distribution.manifest.list.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** Not in the v2s2 schema, but written by some tools; Lambda refuses it (UnsupportedImageLayerDetected). */
  layerTar: "application/vnd.docker.image.rootfs.diff.tar",
  foreignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

/** Every manifest and index type, for the Accept header of a manifest read. */
export const MANIFEST_ACCEPT = [OCI.manifest, OCI.index, DOCKER.manifest, DOCKER.list] as const;

export type Family = "oci" | "docker";
export type Compression = "gzip" | "none" | "zstd";

/** The bare media type: parameters (`; charset=…`) dropped, lower case. */
export function bareType(mediaType: string | undefined): string {
  return (mediaType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isIndexType(mediaType: string): boolean {
  const t = bareType(mediaType);
  return t === OCI.index || t === DOCKER.list;
}

/** The family of any manifest, index, config or layer media type; undefined for anything else. */
export function familyOf(mediaType: string | undefined): Family | undefined {
  const t = bareType(mediaType);
  if (t.startsWith("application/vnd.oci.image.")) return "oci";
  if (t.startsWith("application/vnd.docker.")) return "docker";
  return undefined;
}

/** How a layer's bytes are compressed, by its media type; undefined when it is not a layer type. */
export function layerCompression(mediaType: string): Compression | undefined {
  const t = bareType(mediaType);
  if (t === OCI.layerGzip || t === DOCKER.layerGzip || t === DOCKER.foreignGzip) return "gzip";
  if (t === "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") return "gzip";
  if (t === OCI.layerTar || t === DOCKER.layerTar) return "none";
  if (t === "application/vnd.oci.image.layer.nondistributable.v1.tar") return "none";
  if (t === OCI.layerZstd) return "zstd";
  return undefined;
}

/** The layer type of `family` for bytes compressed as `compression`; undefined where the family has none. */
export function layerTypeFor(family: Family, compression: Compression): string | undefined {
  if (family === "oci") {
    return compression === "gzip" ? OCI.layerGzip : compression === "none" ? OCI.layerTar : OCI.layerZstd;
  }
  return compression === "gzip" ? DOCKER.layerGzip : undefined;
}

export function manifestTypeFor(family: Family): string {
  return family === "oci" ? OCI.manifest : DOCKER.manifest;
}

export function configTypeFor(family: Family): string {
  return family === "oci" ? OCI.config : DOCKER.config;
}

/** A content descriptor as manifests carry it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: { architecture?: string; os?: string; variant?: string };
}

/** An image manifest (OCI or Docker v2s2), as parsed. */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** An image index or Docker manifest list, as parsed. */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  [key: string]: unknown;
}
