import { z } from "zod";
import { count, digest, resultDocument, stringMap } from "./common.js";

export const dockerfileData = z.strictObject({
  dockerfile: z.string().describe("the Dockerfile text"),
  output: z.string().nullable().describe("file written with -o, else null"),
  target: z.enum(["lambda", "generic"]),
  base: z.string(),
  assetImage: z
    .strictObject({
      from: z.string().describe("what the assets stage is FROM, pinned by digest"),
      pin: z.enum(["registry-digest", "image-id"]),
      name: z.string(),
      source: z.enum(["flag", "push", "load"]),
      assetRoot: z.string().optional(),
      lockDigest: z.string().optional(),
    })
    .nullable()
    .describe("the asset image; null with --no-assets or --storage efs|s3"),
  storage: z
    .strictObject({
      kind: z.enum(["oci", "efs", "s3"]),
      root: z.string().describe("where the assets are at run time (the ENV block points under it)"),
      bucket: z.string().nullable().describe("s3: the export's bucket, else null"),
      prefix: z.string().nullable().describe("s3: the export's key prefix, else null"),
    })
    .describe("--storage: baked into the image (oci), an EFS mount, or S3 loaded into /tmp at cold start"),
  lockDigest: digest,
  assetRoot: z.string(),
  env: stringMap.describe("the ENV block"),
  copies: z.array(z.strictObject({ asset: z.string(), path: z.string() })),
  code: z.array(z.string()).describe("project paths copied into the image"),
  notes: z.array(z.strictObject({ library: z.string(), note: z.string() })),
  views: z
    .strictObject({
      views: z.array(z.strictObject({ asset: z.string(), source: z.string(), view: z.string() })),
      homes: z.array(z.strictObject({ asset: z.string(), rel: z.string(), target: z.string() })),
    })
    .describe("writable views under /tmp and $HOME links the entrypoint wrapper makes at start"),
  entrypoint: z
    .array(z.string())
    .nullable()
    .describe("the ENTRYPOINT set for the wrapper (wrapper, its arguments, --, the original entrypoint); null = the base's"),
  dockerignore: z
    .strictObject({ path: z.string(), action: z.enum(["created", "extended", "unchanged"]) })
    .nullable()
    .describe("the .dockerignore that keeps .mlpack/ out of the build context (-o only)"),
  size: z.strictObject({
    assetBytes: count,
    baseBytes: count.nullable(),
    totalBytes: count,
    limitBytes: count,
  }),
});

export const dockerfileResult = resultDocument(
  "dockerfile",
  dockerfileData,
  "The Lambda (or generic) Dockerfile generated from the lock and the asset image.",
);
