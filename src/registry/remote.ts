import { createHash } from "node:crypto";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InterruptedError, RegistryError, UsageError } from "../errors.js";
import type { Blob } from "../image/types.js";
import type { RegistryClient } from "./client.js";
import { networkError } from "./errors.js";
import { header } from "./http.js";
import {
  bareType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  isIndexType,
  MANIFEST_ACCEPT,
} from "./media-types.js";
import { type RetryContext, withRetry } from "./retry.js";

/**
 * Reading images: manifests (any of the four types, digest-checked), config blobs (small, capped) and layer
 * blobs as streams that are hashed on the way and fail if the bytes do not match their digest. The same
 * `ImageReader` seam serves a registry and an OCI layout on disk.
 */

/** Registries SHOULD accept manifests of at least 4 MB (distribution-spec); anything over 8 MiB is refused. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  json: ImageManifest | ImageIndex;
}

/** Where images are read from: a registry repository, or an OCI layout. */
export interface ImageReader {
  /** For messages: "host/repository" or the layout's path. */
  readonly name: string;
  manifest(reference: string): Promise<FetchedManifest>;
  /** A blob whose `open()` streams verified bytes (the stream errors when they do not match). */
  blob(descriptor: Descriptor): Blob;
  /** A small blob read whole (configs), verified. */
  blobBytes(descriptor: Descriptor, max?: number): Promise<Buffer>;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Parses manifest bytes; `mediaType` from the answer's Content-Type, else the document's own field. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): FetchedManifest {
  let json: ImageManifest | ImageIndex;
  try {
    json = JSON.parse(bytes.toString("utf8")) as ImageManifest | ImageIndex;
  } catch {
    throw new RegistryError(`The manifest of ${where} is not JSON`, { registryCode: "MANIFEST_INVALID" });
  }
  if (json === null || typeof json !== "object") {
    throw new RegistryError(`The manifest of ${where} is not a JSON object`, { registryCode: "MANIFEST_INVALID" });
  }
  const declared = bareType(typeof json.mediaType === "string" ? json.mediaType : undefined);
  const fromHeader = bareType(contentType);
  const mediaType =
    declared || (fromHeader && fromHeader !== "application/json" ? fromHeader : "") ||
    ("manifests" in json ? "application/vnd.oci.image.index.v1+json" : "application/vnd.oci.image.manifest.v1+json");
  return { bytes, digest: sha256(bytes), mediaType, json };
}

function checkDigest(got: Buffer, descriptor: Descriptor, where: string): void {
  if (got.length !== descriptor.size || sha256(got) !== descriptor.digest) {
    throw new RegistryError(`${where} sent ${descriptor.digest} with other bytes (${got.length} bytes)`, {
      registryCode: "DIGEST_INVALID",
      hint: "The source does not hold what its manifest says; push the image there again.",
    });
  }
}

/** Passes bytes through while hashing; fails the stream at its end when size or digest differ. */
export function verifying(descriptor: Descriptor, where: string): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const digest = `sha256:${hash.digest("hex")}`;
      if (digest === descriptor.digest && size === descriptor.size) return cb();
      cb(
        new RegistryError(`${where} sent bytes for ${descriptor.digest} that hash to ${digest} (${size} bytes)`, {
          registryCode: "DIGEST_INVALID",
          retryable: true,
          hint: "The source registry sent corrupt data; try again.",
        }),
      );
    },
  });
}

export class RegistryImageReader implements ImageReader {
  readonly name: string;

  constructor(
    readonly client: RegistryClient,
    private readonly retry: RetryContext = {},
  ) {
    this.name = `${client.host}/${client.repository}`;
  }

  manifest(reference: string): Promise<FetchedManifest> {
    return withRetry(async () => {
      const res = await this.client.send({
        operation: "manifest-get",
        method: "GET",
        target: `/v2/${this.client.repository}/manifests/${reference}`,
        headers: { accept: MANIFEST_ACCEPT.join(", ") },
        expect: [200],
        maxBodyBytes: MAX_MANIFEST_BYTES,
      });
      const fetched = parseManifest(res.body, header(res, "content-type"), `${this.name}:${reference}`);
      if (reference.startsWith("sha256:") && fetched.digest !== reference) {
        throw new RegistryError(`${this.name} answered ${reference} with a manifest hashing to ${fetched.digest}`, {
          registryCode: "DIGEST_INVALID",
          hint: "The registry does not hold what the digest names.",
        });
      }
      return fetched;
    }, this.retry);
  }

  blobBytes(descriptor: Descriptor, max = MAX_CONFIG_BYTES): Promise<Buffer> {
    return withRetry(async () => {
      const res = await this.client.send({
        operation: "blob-get",
        method: "GET",
        target: `/v2/${this.client.repository}/blobs/${descriptor.digest}`,
        expect: [200],
        maxBodyBytes: Math.min(max, Math.max(descriptor.size, 1)),
      });
      checkDigest(res.body, descriptor, this.name);
      return res.body;
    }, this.retry);
  }

  blob(descriptor: Descriptor): Blob {
    const client = this.client;
    const where = this.name;
    return {
      digest: descriptor.digest,
      size: descriptor.size,
      mediaType: descriptor.mediaType,
      open: (): Readable => {
        const out = new PassThrough({ highWaterMark: 1024 * 1024 });
        const target = `/v2/${client.repository}/blobs/${descriptor.digest}`;
        client
          .stream({ operation: "blob-get", method: "GET", target, expect: [200] })
          .then((res) =>
            pipeline(res.body, verifying(descriptor, where), out).catch((err: unknown) => {
              if (err instanceof RegistryError || err instanceof InterruptedError) throw err;
              throw networkError(err, { operation: "blob-get", method: "GET", url: res.url, host: client.host });
            }),
          )
          .catch((err: unknown) => out.destroy(err as Error));
        return out;
      },
    };
  }
}

/** A manifest read through `reader`, with the one image in it: an index is resolved to `platform`'s child. */
export interface ResolvedImage {
  /** The manifest of the single-platform image. */
  manifest: FetchedManifest & { json: ImageManifest };
  /** The index the reference named, when it named one. */
  index: FetchedManifest | undefined;
}

/** "linux/amd64" → { os, architecture, variant? } */
export function parsePlatform(platform: string): { os: string; architecture: string; variant?: string } {
  const [os = "", architecture = "", variant] = platform.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Reads `reference` and returns one image manifest. An index is refused unless `platform` picks exactly one
 * of its children: Lambda takes no index, so the caller must say which image it means.
 */
export async function resolveImage(
  reader: ImageReader,
  reference: string,
  platform: string | undefined,
): Promise<ResolvedImage> {
  const top = await reader.manifest(reference);
  if (!isIndexType(top.mediaType) && !("manifests" in top.json)) {
    return { manifest: top as ResolvedImage["manifest"], index: undefined };
  }
  const children = ((top.json as ImageIndex).manifests ?? []).filter((m) => !isIndexType(m.mediaType));
  const listed = children.map((m) => [m.platform?.os, m.platform?.architecture, m.platform?.variant].filter(Boolean).join("/"));
  if (!platform) {
    throw new UsageError(`${reader.name}:${reference} is a multi-platform index (${listed.join(", ") || "no platforms"}); Lambda takes a single image`, {
      code: "E_MULTI_PLATFORM",
      hint: "Pick one with --platform linux/amd64 or --platform linux/arm64 (or build with --provenance=false --sbom=false).",
    });
  }
  const want = parsePlatform(platform);
  const matches = children.filter(
    (m) =>
      m.platform?.os === want.os &&
      m.platform?.architecture === want.architecture &&
      (want.variant === undefined || m.platform?.variant === want.variant),
  );
  const child = matches[0];
  if (!child) {
    throw new UsageError(`${reader.name}:${reference} has no ${platform} image (it has ${listed.join(", ") || "none"})`, {
      code: "E_MULTI_PLATFORM",
      hint: "Pick a platform the index lists with --platform.",
    });
  }
  const manifest = await reader.manifest(child.digest);
  if (isIndexType(manifest.mediaType) || "manifests" in manifest.json) {
    throw new UsageError(`${reader.name}@${child.digest} is a nested index`, { code: "E_MULTI_PLATFORM" });
  }
  return { manifest: manifest as ResolvedImage["manifest"], index: top };
}
