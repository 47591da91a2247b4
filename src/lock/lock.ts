import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson, stableJson } from "../util/canonical-json.js";
import {
  assetIdSchema,
  assetRootSchema,
  crossAssetIssues,
  describeIssue,
  envMapSchema,
  homeSchema,
  librarySchema,
  targetSchema,
  textSchema,
} from "./lock-rules.js";

export const LOCK_FILE = "mlpack.lock.json";

/** One asset in the lock; also the shape `discover --json` documents (src/cli/results). */
export const lockAssetSchema = z.strictObject({
  id: assetIdSchema,
  library: librarySchema,
  source: textSchema.describe("where the command wrote it"),
  target: targetSchema,
  env: envMapSchema,
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>"),
  writable: z
    .boolean()
    .optional()
    .describe("the library writes into its cache: the image gives it a writable view under /tmp at start"),
  home: homeSchema.optional(),
});

export const lockSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    runner: z.enum(["docker", "local"]),
    image: textSchema.nullable(),
    command: z.array(textSchema),
    assetRoot: assetRootSchema,
    assets: z.array(lockAssetSchema),
    skipped: z.array(z.strictObject({ path: textSchema, reason: textSchema })),
  })
  .superRefine((lock, ctx) => crossAssetIssues(lock.assets, ctx));

export type LockAsset = z.infer<typeof lockAssetSchema>;
export type Lock = z.infer<typeof lockSchema>;

/** The lock's exact bytes: sorted keys, assets sorted by id, no timestamps, newline at the end. */
export function serializeLock(lock: Lock): string {
  const assets = [...lock.assets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return stableJson({ ...lock, assets });
}

export async function writeLock(path: string, lock: Lock): Promise<void> {
  await writeFileAtomic(path, serializeLock(lock));
}

/** Reads and validates the lock; a missing or malformed lock is a usage error with a way out. */
export async function readLock(path: string): Promise<Lock> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ConfigError(`no ${LOCK_FILE} in ${dirname(path)}`, {
        code: "E_NO_LOCK",
        hint: "Run `mlpack discover -- <command>` first.",
      });
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON`, {
      cause: error,
      hint: "Re-create it with `mlpack discover`.",
    });
  }
  return parseLock(raw, path);
}

/**
 * Validates a lock's content against the strict schema; the first violation is exit 2 naming the file, the
 * key and the rule (`mlpack.lock.json: assets[0].target "../bin": must not contain ".."`).
 */
export function parseLock(raw: unknown, path: string = LOCK_FILE): Lock {
  const parsed = lockSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(describeIssue(path, raw, parsed.error.issues[0]!), {
      code: "E_BAD_LOCK",
      hint: `${path} is written by \`mlpack discover\`: re-create it, or fix the value by hand.`,
      details: { file: path, issues: parsed.error.issues.slice(0, 10).map((i) => describeIssue(path, raw, i)) },
    });
  }
  return parsed.data;
}

export interface LockDrift {
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
}

/** What differs between the committed lock and a fresh discovery (the CI drift guard). */
export function diffLocks(committed: Lock, found: Lock): LockDrift {
  const before = new Map(committed.assets.map((a) => [a.id, a]));
  const after = new Map(found.assets.map((a) => [a.id, a]));
  const added = [...after.keys()].filter((id) => !before.has(id)).sort();
  const removed = [...before.keys()].filter((id) => !after.has(id)).sort();
  const changed: LockDrift["changed"] = [];
  for (const [id, next] of after) {
    const prev = before.get(id);
    if (!prev) continue;
    const fields = (["digest", "target", "files", "bytes", "env", "library"] as const).filter(
      (f) => canonicalJson(prev[f]) !== canonicalJson(next[f]),
    );
    if (fields.length > 0) changed.push({ id, fields });
  }
  if (committed.assetRoot !== found.assetRoot) changed.push({ id: "(lock)", fields: ["assetRoot"] });
  return { added, removed, changed: changed.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

export function hasDrift(drift: LockDrift): boolean {
  return drift.added.length + drift.removed.length + drift.changed.length > 0;
}
