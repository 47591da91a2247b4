import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UsageError } from "../errors.js";
import type { Blob } from "../image/types.js";
import { type Descriptor, type ImageIndex, OCI } from "../registry/media-types.js";
import { type FetchedManifest, type ImageReader, parseManifest, sha256, verifying } from "../registry/remote.js";

/**
 * An OCI image layout on disk as an `ImageReader`: `verify --static ./dir` checks a layout without a
 * registry, and `assemble` reads asset layers from `.mlpack/oci` when the bundle that pushed them is still
 * there (a local read instead of a download).
 */

const REF_NAME = "org.opencontainers.image.ref.name";

export class LayoutImageReader implements ImageReader {
  constructor(readonly name: string) {}

  private path(digest: string): string {
    return join(this.name, "blobs", "sha256", digest.slice("sha256:".length));
  }

  /** Whether the layout holds this blob at the expected size (cheap: a stat). */
  async has(descriptor: Descriptor): Promise<boolean> {
    return stat(this.path(descriptor.digest)).then(
      (s) => s.size === descriptor.size,
      () => false,
    );
  }

  /**
   * "" → the layout's one image (index.json with several entries is returned as the index it is);
   * a digest → that manifest; anything else → the entry tagged with it (org.opencontainers.image.ref.name).
   */
  async manifest(reference: string): Promise<FetchedManifest> {
    if (reference.startsWith("sha256:")) return this.read(reference);
    let index: ImageIndex;
    try {
      index = JSON.parse(await readFile(join(this.name, "index.json"), "utf8")) as ImageIndex;
    } catch (cause) {
      throw new UsageError(`${this.name} is not an OCI image layout (no readable index.json)`, {
        code: "E_LAYOUT_INVALID",
        hint: "Give a directory written by mlpack bundle, skopeo copy … oci:DIR or umoci, or a registry reference.",
        cause,
      });
    }
    const entries = Array.isArray(index.manifests) ? index.manifests : [];
    const picked =
      reference === "" ? (entries.length === 1 ? entries[0] : undefined) : entries.find((m) => m.annotations?.[REF_NAME] === reference);
    if (picked) return this.read(picked.digest);
    if (reference !== "") {
      throw new UsageError(`${this.name} has no image tagged ${reference}`, { code: "E_LAYOUT_INVALID" });
    }
    const bytes = Buffer.from(JSON.stringify(index));
    return { ...parseManifest(bytes, OCI.index, this.name), mediaType: OCI.index };
  }

  private async read(digest: string): Promise<FetchedManifest> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(digest));
    } catch (cause) {
      throw new UsageError(`${this.name} is missing blob ${digest}`, { code: "E_LAYOUT_INVALID", cause });
    }
    if (sha256(bytes) !== digest) {
      throw new UsageError(`${this.name}: blob ${digest} is corrupt`, { code: "E_LAYOUT_INVALID" });
    }
    return parseManifest(bytes, undefined, `${this.name}@${digest}`);
  }

  async blobBytes(descriptor: Descriptor): Promise<Buffer> {
    const bytes = await readFile(this.path(descriptor.digest)).catch((cause: unknown) => {
      throw new UsageError(`${this.name} is missing blob ${descriptor.digest}`, { code: "E_LAYOUT_INVALID", cause });
    });
    if (bytes.length !== descriptor.size || sha256(bytes) !== descriptor.digest) {
      throw new UsageError(`${this.name}: blob ${descriptor.digest} is corrupt`, { code: "E_LAYOUT_INVALID" });
    }
    return bytes;
  }

  blob(descriptor: Descriptor): Blob {
    const path = this.path(descriptor.digest);
    const where = this.name;
    return {
      digest: descriptor.digest,
      size: descriptor.size,
      mediaType: descriptor.mediaType,
      open: () => {
        const out = new PassThrough({ highWaterMark: 1024 * 1024 });
        pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), verifying(descriptor, where), out).catch(
          (err: unknown) => out.destroy(err as Error),
        );
        return out;
      },
    };
  }
}
