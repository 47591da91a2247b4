import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type Blob, type ImageSource, MediaType } from "../../../src/image/types.js";

/** Small in-memory images for push tests: random layer bytes, a config JSON and an OCI manifest. */

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export function bufferBlob(bytes: Buffer, mediaType: string, chunk = 64 * 1024): Blob & { bytes: Buffer } {
  return {
    bytes,
    digest: sha256(bytes),
    size: bytes.length,
    mediaType,
    // Re-openable, in chunks, so a retried upload streams the same bytes again.
    open: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
        })(),
      ),
  };
}

export interface TestImage extends ImageSource {
  config: Blob & { bytes: Buffer };
  layers: (Blob & { bytes: Buffer })[];
}

export function makeImage(layerBytes: Buffer[]): TestImage {
  const layers = layerBytes.map((b) => bufferBlob(b, MediaType.layerGzip));
  const configJson = {
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: layers.map((l) => sha256(Buffer.from(l.digest))) },
  };
  const config = bufferBlob(Buffer.from(JSON.stringify(configJson)), MediaType.config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.manifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  return {
    manifest,
    manifestDigest: sha256(manifest),
    manifestMediaType: MediaType.manifest,
    config,
    layers,
  };
}

/** An image with `sizes.length` random layers of the given byte sizes. */
export function randomImage(sizes: number[]): TestImage {
  return makeImage(sizes.map((n) => randomBytes(n)));
}

export function uniqueRepo(prefix: string): string {
  return `mlpack-test/${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Writes `image` as an OCI image layout at `dir` (blobs, index.json, oci-layout), as `mlpack bundle` would. */
export async function writeLayout(dir: string, image: TestImage): Promise<void> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  for (const blob of [image.config, ...image.layers]) await writeFile(join(blobs, blob.digest.slice(7)), blob.bytes);
  await writeFile(join(blobs, image.manifestDigest.slice(7)), image.manifest);
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.index,
    manifests: [{ mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifest.length }],
  };
  await writeFile(join(dir, "index.json"), JSON.stringify(index));
}
