import { z } from "zod";
import { count, digest, resultDocument, skippedPath } from "./common.js";

export const bundleData = z.strictObject({
  digest: digest.describe("manifest digest of the asset image"),
  configDigest: digest,
  lockDigest: digest.describe("digest of the mlpack.lock.json the image was built from"),
  layout: z.string().describe("OCI image layout directory"),
  loaded: z
    .strictObject({ tag: z.string(), imageId: z.string() })
    .nullable()
    .describe("the Docker tag and image id under --load, else null"),
  layers: z.array(
    z.strictObject({
      assetId: z.string(),
      title: z.string(),
      files: count,
      digest,
      diffId: digest,
      size: count.describe("compressed bytes"),
      uncompressedSize: count,
      mediaType: z.string(),
    }),
  ),
  skipped: z.array(skippedPath).describe("entries left out of the layers (unsafe symlinks, devices)"),
});

export const bundleResult = resultDocument(
  "bundle",
  bundleData,
  "The asset image bundle built: its digest and one entry per layer.",
);
