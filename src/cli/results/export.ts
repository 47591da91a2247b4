import { z } from "zod";
import { count, digest, resultDocument, skippedPath } from "./common.js";

const filesAndBytes = z.strictObject({ files: count, bytes: count });

export const exportData = z.strictObject({
  destination: z.discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("s3"),
      bucket: z.string(),
      prefix: z.string().describe("key prefix without slashes at either end; empty for the bucket's root"),
      url: z.string().describe("s3://bucket/prefix"),
      endpoint: z.string().nullable().describe("--endpoint, or null for AWS"),
    }),
    z.strictObject({ kind: z.literal("dir"), path: z.string().describe("absolute folder path") }),
  ]),
  manifest: z.string().describe("where mlpack-assets.json was written (s3:// URL or file path)"),
  manifestAction: z.enum(["written", "unchanged"]).describe("unchanged: the export was already complete and identical"),
  lockDigest: digest,
  assets: z.array(z.strictObject({ id: z.string(), target: z.string(), files: count, bytes: count })),
  totals: z.strictObject({ files: count, bytes: count, links: count, dirs: count }).describe("what the export holds"),
  written: filesAndBytes.describe("files uploaded or written by this run"),
  skipped: filesAndBytes.describe("files already at the destination with the same size and sha256"),
  links: z
    .strictObject({ written: count, skipped: count })
    .describe("symlinks: made in a folder; on S3 they exist only in the manifest (the loader makes them)"),
  deleted: z.array(z.string()).describe("paths or keys removed: stale files of the previous export, or foreign ones with --prune"),
  skippedEntries: z.array(skippedPath).describe("entries left out, as bundle leaves them out of the image"),
  hashedBytes: count.describe("staged bytes read to hash them (0 when the hash cache vouched for every file)"),
});

export const exportResult = resultDocument(
  "export",
  exportData,
  "Where the assets were exported, what was written versus already there, and where the manifest is.",
);
