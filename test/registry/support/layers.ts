import { gzipSync } from "node:zlib";
import { contentPadding, END_OF_ARCHIVE, encodeHeader, type TarType } from "../../../src/image/tar-header.js";
import { DOCKER, OCI } from "../../../src/registry/media-types.js";
import { bufferBlob, sha256, type TestImage } from "./image.js";

/**
 * Hand-made layers and images for the static-check and assemble tests: any entry order, any mode, declared
 * sizes without content — exactly the images Lambda refuses and mlpack itself would never write.
 */

export interface Entry {
  name: string;
  type?: TarType;
  mode?: number;
  data?: Buffer | string;
  /** Declare this size but write no content (a truncated archive: for the size rule). */
  declaredSize?: number;
}

export function tarBytes(entries: readonly Entry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? "file";
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const size = e.declaredSize ?? (type === "file" ? data.length : 0);
    parts.push(encodeHeader({ name: e.name, type, mode: e.mode ?? (type === "dir" ? 0o755 : 0o644), size }, 0));
    if (e.declaredSize !== undefined) continue;
    parts.push(data, contentPadding(data.length));
  }
  if (end) parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** Directories first, as a well-formed layer has them. */
export function withParents(entries: readonly Entry[]): Entry[] {
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.name.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...[...dirs].sort().map((name) => ({ name, type: "dir" as const })), ...entries];
}

export interface LayerSpec {
  tar: Buffer;
  compression: "gzip" | "none";
  title?: string;
}

export interface ImageSpec {
  family: "oci" | "docker";
  layers: LayerSpec[];
  /** Override a layer's media type (e.g. an uncompressed tar typed for Docker). */
  layerType?: (layer: LayerSpec, family: "oci" | "docker") => string;
  os?: string;
  architecture?: string;
  config?: Record<string, unknown>;
}

/** A pushable image (manifest + config + layer blobs) with real diff_ids. */
export function buildTestImage(spec: ImageSpec): TestImage {
  const T = spec.family === "oci" ? OCI : DOCKER;
  const layers = spec.layers.map((l) => {
    const bytes = l.compression === "gzip" ? gzipSync(l.tar) : l.tar;
    const type =
      spec.layerType?.(l, spec.family) ?? (l.compression === "gzip" ? T.layerGzip : spec.family === "oci" ? OCI.layerTar : DOCKER.layerTar);
    return { blob: bufferBlob(bytes, type), diffId: sha256(l.tar), title: l.title };
  });
  const configJson = {
    architecture: spec.architecture ?? "amd64",
    os: spec.os ?? "linux",
    created: "2026-01-01T00:00:00Z",
    config: { Env: ["PATH=/usr/bin:/bin"], ...(spec.config ?? {}) },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: "2026-01-01T00:00:00Z", created_by: `test layer ${i + 1}` })),
  };
  const config = bufferBlob(Buffer.from(JSON.stringify(configJson)), T.config);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: T.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({
      mediaType: l.blob.mediaType,
      digest: l.blob.digest,
      size: l.blob.size,
      ...(spec.family === "oci" && l.title ? { annotations: { "org.opencontainers.image.title": l.title } } : {}),
    })),
  };
  const manifest = Buffer.from(JSON.stringify(manifestJson));
  return {
    manifest,
    manifestDigest: sha256(manifest),
    manifestMediaType: T.manifest,
    config,
    layers: layers.map((l) => l.blob),
  };
}
