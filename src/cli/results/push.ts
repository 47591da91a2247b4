import { z } from "zod";
import { count, digest, resultDocument } from "./common.js";

export const pushData = z.strictObject({
  reference: z.string().describe("<registry>/<repository>@sha256:<digest>"),
  imageUri: z
    .string()
    .describe("the same reference, pinned by digest: SAM's ImageUri, CDK's fromEcr tagOrDigest is its digest"),
  digest,
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  uploadedBytes: count,
  skippedBytes: count.describe("bytes of blobs the registry already had"),
  manifestAction: z.enum(["put", "skipped"]).describe("skipped when the tag already pointed at the digest"),
  blobs: z.array(z.strictObject({ digest, size: count, action: z.enum(["uploaded", "skipped", "mounted"]) })),
});

export const pushResult = resultDocument(
  "push",
  pushData,
  "Where the asset image went and how many bytes were uploaded versus already present.",
);
