import { createHash } from "node:crypto";
import { canonicalJson } from "../util/canonical-json.js";
import { MediaType } from "./types.js";

export type Platform = "linux/amd64" | "linux/arm64";

/** What the config and manifest need to know about each written layer. */
export interface ConfigLayer {
  title: string;
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

export interface ImageDocuments {
  config: Uint8Array;
  manifest: Uint8Array;
}

/** RFC 3339 in UTC, seconds precision: the only timestamp the image carries. */
export function epochToRfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The OCI config and manifest, as canonical JSON bytes so the same layers always give the same digests.
 * One history entry per layer: Lambda has rejected images whose tar layers had none (rules_oci#645).
 * Layer descriptors carry no annotations: titles live in the history, and Lambda wants manifests
 * under 25,400 bytes.
 */
export function imageDocuments(options: {
  layers: ReadonlyArray<ConfigLayer>;
  platform: Platform;
  sourceDateEpoch: number;
  labels: Readonly<Record<string, string>>;
}): ImageDocuments {
  const [os = "linux", architecture = "amd64"] = options.platform.split("/");
  const created = epochToRfc3339(options.sourceDateEpoch);
  const labels = Object.keys(options.labels).length > 0 ? { Labels: { ...options.labels } } : {};
  const config = Buffer.from(
    canonicalJson({
      architecture,
      os,
      created,
      config: labels,
      rootfs: { type: "layers", diff_ids: options.layers.map((l) => l.diffId) },
      history: options.layers.map((l) => ({ created, created_by: `mlpack: ${l.title}` })),
    }),
  );
  const manifest = Buffer.from(
    canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: MediaType.config, digest: sha256Of(config), size: config.length },
      layers: options.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  return { config, manifest };
}

/** "sha256:<hex>" of some bytes. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
