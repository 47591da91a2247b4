import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsError } from "./fs-errors.js";

/** A sibling temp path, so the final rename stays on one filesystem and is atomic. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}

export interface AtomicWriteOptions {
  /** Create missing parent folders (default). Off for paths the user typed: a typo must not make folders. */
  createParents?: boolean;
  /** What is being written, for error messages ("writing the Dockerfile"). */
  action?: string;
}

/**
 * Writes `data` to `path` through a temp file + fsync + rename, so a reader never sees a half-written file
 * and an interrupted write leaves the old file (or nothing) in place. Failures name `path` (never the temp
 * file) and map full disks and permission problems to errors the user can act on (util/fs-errors).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const ctx = { path, action: options.action ?? `writing ${basename(path)}` };
  if (options.createParents ?? true) {
    await mkdir(dirname(path), { recursive: true }).catch((error: unknown) => {
      throw fsError(error, { ...ctx, path: dirname(path), isDir: true });
    });
  }
  const tmp = tempSibling(path);
  try {
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    // The temp file's name means nothing to the user: a missing parent is the path's own folder.
    throw fsError(error, (error as { code?: string }).code === "ENOENT" ? { ...ctx, path: dirname(path) } : ctx);
  }
}
