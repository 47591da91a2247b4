import { z } from "zod";
import { count, digest, resultDocument, skippedPath, stringMap } from "./common.js";

const lockAsset = z.strictObject({
  id: z.string(),
  library: z.string().describe("catalog entry that claimed the cache"),
  source: z.string().describe("where the command wrote it"),
  target: z.string().describe("path under the asset root"),
  env: stringMap.describe("runtime ENV the library needs to find it"),
  files: count,
  bytes: count,
  digest,
});

export const lockSchema = z.strictObject({
  schemaVersion: z.literal(1),
  runner: z.enum(["docker", "local"]),
  image: z.string().nullable(),
  command: z.array(z.string()),
  assetRoot: z.string(),
  assets: z.array(lockAsset),
  skipped: z.array(skippedPath),
});

export const discoverData = z.strictObject({
  lockFile: z.string().nullable().describe("the lock written; null under --check"),
  checked: z.boolean().describe("true under --check (and then the lock matched)"),
  lock: lockSchema,
  assets: z.array(
    lockAsset.extend({
      notes: z.array(z.string()),
      stagedPath: z.string().describe("staged tree under .mlpack/assets"),
    }),
  ),
  unclassified: z.array(z.strictObject({ path: z.string(), files: count, bytes: count })),
  skipped: z.array(skippedPath),
  secrets: z.array(z.string()).describe("secret files seen and never packaged"),
});

export const discoverResult = resultDocument(
  "discover",
  discoverData,
  "What discover found, staged and wrote to mlpack.lock.json.",
);
