import { z } from "zod";
import { count, digest, resultDocument, stringMap } from "./common.js";

export const dockerfileData = z.strictObject({
  dockerfile: z.string().describe("the Dockerfile text"),
  output: z.string().nullable().describe("file written with -o, else null"),
  target: z.enum(["lambda", "generic"]),
  base: z.string(),
  assetImage: z.strictObject({
    from: z.string().describe("what the assets stage is FROM, pinned by digest"),
    pin: z.enum(["registry-digest", "image-id", "manifest-digest"]),
    name: z.string(),
    source: z.enum(["flag", "push", "load", "bundle"]),
    assetRoot: z.string().optional(),
    lockDigest: z.string().optional(),
  }),
  lockDigest: digest,
  assetRoot: z.string(),
  env: stringMap.describe("the ENV block"),
  copies: z.array(z.strictObject({ asset: z.string(), path: z.string() })),
  code: z.array(z.string()).describe("project paths copied into the image"),
  notes: z.array(z.strictObject({ library: z.string(), note: z.string() })),
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
