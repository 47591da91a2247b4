import { z } from "zod";
import { lockAssetSchema } from "../lock/lock.js";
import { compareUtf8 } from "../util/byte-order.js";
import { canonicalJson } from "../util/canonical-json.js";

/**
 * `mlpack-assets.json`, at the root of every export: the assets, every file with its size and sha256, every
 * symlink and folder, and the lock digest. It is written last, after every file is in place, and removed
 * first when an export is about to change anything: a reader that finds it knows the export is complete, and
 * one that does not must not trust the folder or prefix (an export is running, or was interrupted).
 */
export const MANIFEST_FILE = "mlpack-assets.json";
export const MANIFEST_KIND = "mlpack-assets";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().nonnegative();

/** A relative "/"-separated path with no empty, "." or ".." part and no NUL: safe to join under any root. */
export const exportPath = z
  .string()
  .min(1)
  .refine((p) => !p.includes("\0") && p.split("/").every((c) => c !== "" && c !== "." && c !== ".."), {
    message: "must be a relative path without empty, . or .. parts",
  });

export const manifestFile = z.strictObject({
  path: exportPath,
  type: z.literal("file"),
  size: count,
  sha256: sha256Hex,
  /** 0o644, or 0o755 for executables (as the asset image stores them). */
  mode: z.union([z.literal(0o644), z.literal(0o755)]),
  /** S3 only: the object's ETag when the export last saw it, so a re-export can skip it without a HEAD. */
  etag: z.string().optional(),
});
export const manifestLink = z.strictObject({ path: exportPath, type: z.literal("symlink"), target: z.string().min(1) });
export const manifestDir = z.strictObject({ path: exportPath, type: z.literal("dir") });
export const manifestEntry = z.discriminatedUnion("type", [manifestFile, manifestLink, manifestDir]);

export const manifestSchema = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal(MANIFEST_KIND),
  lockDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** The lock's asset root: the assets' `env` values are under it, a reader re-bases them onto its own root. */
  assetRoot: z.string(),
  mlpackVersion: z.string(),
  assets: z.array(lockAssetSchema.omit({ source: true })),
  files: z.array(manifestEntry),
  totals: z.strictObject({ files: count, bytes: count }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof manifestEntry>;
export type ManifestFile = z.infer<typeof manifestFile>;

/** The manifest's bytes: canonical JSON (sorted keys), entries in byte order of their paths, one newline. */
export function serializeManifest(manifest: Manifest): string {
  const files = [...manifest.files].sort((a, b) => compareUtf8(a.path, b.path));
  return `${canonicalJson({ ...manifest, files })}\n`;
}

/** A manifest read back from a destination, or undefined when the bytes are not one (foreign or damaged). */
export function parseManifest(text: string): Manifest | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = manifestSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** path → file entry of a previous manifest, for the incremental checks. */
export function previousFiles(manifest: Manifest | undefined): Map<string, ManifestFile> {
  const map = new Map<string, ManifestFile>();
  for (const entry of manifest?.files ?? []) if (entry.type === "file") map.set(entry.path, entry);
  return map;
}
