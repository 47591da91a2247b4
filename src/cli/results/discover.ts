import { z } from "zod";
import { lockAssetSchema as lockAsset, lockSchema } from "../../lock/lock.js";
import { count, resultDocument, skippedPath } from "./common.js";

const relocation = z.strictObject({
  via: z
    .enum(["flag", "code", "xdg", "home", "none"])
    .describe(
      "flag: =VAR; code: a variable read next to the folder's name in the image's Python code; xdg: XDG_CACHE_HOME/XDG_DATA_HOME; home: placed at the same path under HOME; none: no variable known",
    ),
  variable: z.string().optional(),
  evidence: z
    .strictObject({
      name: z.string(),
      variable: z.string(),
      file: z.string().describe("relative to its sys.path entry"),
      line: z.number().int().positive(),
      tier: z.union([z.literal(1), z.literal(2)]),
      relation: z.enum(["dir", "parent"]),
      text: z.string(),
    })
    .optional()
    .describe("the code that reads the variable (via code)"),
});

export const discoverData = z.strictObject({
  lockFile: z.string().nullable().describe("the lock written; null under --check"),
  checked: z.boolean().describe("true under --check (and then the lock matched)"),
  lock: lockSchema,
  assets: z.array(
    lockAsset.extend({
      notes: z.array(z.string()),
      relocation: relocation.optional().describe("for --include folders: how the variable was chosen"),
      stagedPath: z.string().describe("staged tree under .mlpack/assets"),
    }),
  ),
  unclassified: z
    .array(
      z.strictObject({
        path: z.string(),
        files: count,
        bytes: count,
        kind: z.enum(["folder", "file"]),
        include: z
          .string()
          .nullable()
          .describe(
            "the --include value that packages it (~/x, ./x or /abs, with =VAR when the code scan found the variable); null for a file",
          ),
        relocation: relocation.describe("how the folder would be found in the image if included"),
      }),
    )
    .describe("every new folder no catalog entry, noise or secret rule claims, however small; not packaged"),
  scan: z
    .strictObject({
      where: z.string().describe('"image <ref>" or "host <python>"'),
      available: z.boolean(),
      reason: z.string().optional().describe("why the scan could not run"),
      files: count.describe(".py files read"),
      hits: count.describe("environment lookups found next to a folder's name"),
      truncated: z.boolean().optional().describe("the scan stopped at its time limit (120 s)"),
    })
    .optional()
    .describe("the scan of the run's Python code for variables that move unknown caches, when one ran"),
  skipped: z.array(skippedPath),
  secrets: z.array(z.string()).describe("secret files seen and never packaged"),
  keptContainer: z.string().nullable().describe("the container kept with --keep (full id), else null"),
});

export const discoverResult = resultDocument(
  "discover",
  discoverData,
  "What discover found, staged and wrote to mlpack.lock.json.",
);
