import { z } from "zod";
import { lockAssetSchema as lockAsset, lockSchema } from "../../lock/lock.js";
import { count, resultDocument, skippedPath } from "./common.js";

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
  keptContainer: z.string().nullable().describe("the container kept with --keep (full id), else null"),
});

export const discoverResult = resultDocument(
  "discover",
  discoverData,
  "What discover found, staged and wrote to mlpack.lock.json.",
);
