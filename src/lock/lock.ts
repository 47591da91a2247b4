import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { canonicalJson, stableJson } from "../util/canonical-json.js";

export const LOCK_FILE = "mlpack.lock.json";

/** One asset in the lock; also the shape `discover --json` documents (src/cli/results). */
export const lockAssetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  library: z.string().describe("catalog entry that claimed the cache"),
  source: z.string().describe("where the command wrote it"),
  target: z.string().describe("path under the asset root"),
  env: z.record(z.string(), z.string()).describe("runtime ENV the library needs to find it"),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  writable: z
    .literal(true)
    .optional()
    .describe(
      "the library writes into this folder even on a cache hit (lock file, probe, unpacking): the final image gives it a writable view under /tmp at start (symlinks into the read-only asset) and points its variables there; absent = read-only",
    ),
  home: z
    .string()
    .regex(/^(?!\/)(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^\u0000-\u001f\u007f]+$/)
    .optional()
    .describe(
      "no variable moves this folder: the path relative to HOME where the library looks for it (\".mylib\", \".cache/clip\"); the final image links HOME/<home> to the asset at start (HOME=/tmp on Lambda)",
    ),
  notes: z
    .array(z.string())
    .optional()
    .describe(
      "advice for the Dockerfile, for assets no built-in catalog entry describes (--include folders, mlpack.json catalog entries): how the folder is relocated and what that implies",
    ),
});

export const lockSchema = z.strictObject({
  schemaVersion: z.literal(1),
  runner: z.enum(["docker", "local"]),
  image: z.string().nullable(),
  command: z.array(z.string()),
  assetRoot: z.string(),
  assets: z.array(lockAssetSchema),
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.string() })),
});

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
  const parsed = lockSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${path}: "${issue.path.join(".")}" ${issue.message}`, {
      code: "E_BAD_LOCK",
      hint: "Re-create it with `mlpack discover`.",
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
    const fields = (["digest", "target", "files", "bytes", "env", "library", "writable", "home"] as const).filter(
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
