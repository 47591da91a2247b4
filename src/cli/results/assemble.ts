import { z } from "zod";
import { count, digest, resultDocument, stringMap } from "./common.js";
import { staticCheck } from "./verify-static.js";

const action = z.enum(["uploaded", "skipped", "mounted"]);

export const assembleData = z.strictObject({
  reference: z.string().describe("<registry>/<repository>@sha256:<digest>, exactly what stdout prints"),
  imageUri: z.string().describe("the same reference: SAM's ImageUri; its digest is CDK's fromEcr tagOrDigest"),
  digest,
  registry: z.string(),
  repository: z.string(),
  tag: z.string(),
  mediaType: z.string().describe("the result's manifest type: the app image's family"),
  app: z.string().describe("the app image, pinned by digest (or a local image and its ID)"),
  assets: z.string().describe("the asset image, pinned by digest"),
  layers: z.array(
    z.strictObject({
      digest,
      size: count,
      mediaType: z.string(),
      source: z.enum(["app", "assets", "config"]),
      action,
    }),
  ),
  bytes: z
    .strictObject({ uploaded: count, mounted: count, skipped: count })
    .describe("bytes sent to the registry, mounted from another repository, and already there"),
  manifestAction: z.enum(["put", "skipped"]).describe("skipped when the tag already pointed at the digest"),
  env: stringMap.describe("variables the result sets that the app image did not (or set otherwise)"),
  check: staticCheck.describe("Lambda's deploy-time rules, run on the result before it was tagged"),
});

export const assembleResult = resultDocument(
  "assemble",
  assembleData,
  "The app image plus the asset layers by reference, pushed: where it went and how the bytes got there.",
);
