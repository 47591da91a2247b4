import { z } from "zod";
import { count, digest, resultDocument } from "./common.js";

const rule = z.enum([
  "single-platform",
  "platform",
  "media-type-family",
  "gzip-under-docker",
  "parent-directories",
  "size-limit",
  "readable-files",
  "manifest-size",
  "layer-format",
]);

export const staticFinding = z.strictObject({
  rule,
  severity: z.enum(["error", "warning"]),
  message: z.string(),
  layer: z.strictObject({ index: count, digest }).optional().describe("1-based layer number and its digest"),
  path: z.string().optional().describe("the entry inside the layer, no leading slash"),
});

/** The static check's report: also the `check` of `assemble --json` and the `details` of a failed check. */
export const staticCheck = z.strictObject({
  ok: z.boolean(),
  image: z.string().describe("the image checked, as named"),
  digest,
  mediaType: z.string(),
  manifestBytes: count,
  platform: z.string().optional().describe("os/architecture from the config (absent for an index)"),
  assetRoot: z.string().describe("where files must be readable by a non-root user"),
  uncompressedBytes: count.describe("all layers together, uncompressed (Lambda's limit is 10 GiB)"),
  layers: z.array(
    z.strictObject({
      digest,
      mediaType: z.string(),
      size: count,
      uncompressedBytes: count,
      entries: count,
      cached: z.boolean().describe("scanned before (same digest): read from .mlpack/cache"),
    }),
  ),
  findings: z.array(staticFinding),
  rules: z.array(rule).describe("the rules that were checked"),
});

export const verifyStaticData = staticCheck.extend({ ok: z.literal(true) });

export const verifyStaticResult = resultDocument(
  "verify-static",
  verifyStaticData,
  "`mlpack verify --static`: the image passes Lambda's deploy-time rules (warnings may remain); a failing check is an error document (exit 1) whose details hold this report.",
);
