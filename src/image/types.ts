import type { Readable } from "node:stream";

/** OCI media types mlpack writes. */
export const MediaType = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
} as const;

/** A content-addressed blob that can be opened (again) as a stream, e.g. for a retried upload. */
export interface Blob {
  /** "sha256:<64 hex>" */
  digest: string;
  size: number;
  mediaType: string;
  open(): Readable;
}

/**
 * A built image as the sinks (OCI layout reader, registry push, docker-load tarball) see it:
 * the exact manifest bytes plus every blob it references (config first, then layers in order).
 */
export interface ImageSource {
  manifest: Uint8Array;
  manifestDigest: string;
  manifestMediaType: string;
  config: Blob;
  layers: Blob[];
}
