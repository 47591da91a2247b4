import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fsError } from "../util/fs-errors.js";

export const DOCKERIGNORE = ".dockerignore";

/** The line mlpack adds, and the spellings of it that already keep `.mlpack/` out of the context. */
const LINE = ".mlpack/";
const EQUIVALENT = new Set([".mlpack", ".mlpack/", "/.mlpack", "/.mlpack/", "./.mlpack", "./.mlpack/", ".mlpack/**"]);

export interface DockerignoreResult {
  path: string;
  action: "created" | "extended" | "unchanged";
}

/**
 * The content of `.dockerignore` with `.mlpack/` kept out of the build context: the staged caches and the
 * OCI layout are the asset image's bytes, which the Dockerfile copies FROM the asset image, so sending them
 * to the builder again doubles the context (839 MB for a 400 MiB model). User lines are never removed or
 * reordered; the line is appended once, so running it again changes nothing. Pure.
 */
export function withMlpackIgnored(existing: string | undefined): string | undefined {
  if (existing !== undefined) {
    const lines = existing.split(/\r?\n/).map((l) => l.trim());
    if (lines.some((l) => EQUIVALENT.has(l))) return undefined;
  }
  const before = existing === undefined || existing === "" ? "" : existing.endsWith("\n") ? existing : `${existing}\n`;
  return `${before}# mlpack: staged caches and the OCI layout; the Dockerfile copies them from the asset image.\n${LINE}\n`;
}

/** Writes or extends `<dir>/.dockerignore` (atomically) so that `.mlpack/` stays out of the build context. */
export async function ensureDockerignore(dir: string): Promise<DockerignoreResult> {
  const path = join(dir, DOCKERIGNORE);
  const existing = await readFile(path, "utf8").catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fsError(error, { path, action: "reading .dockerignore" });
  });
  const next = withMlpackIgnored(existing);
  if (next === undefined) return { path, action: "unchanged" };
  await writeFileAtomic(path, next, { createParents: false, action: "writing .dockerignore" });
  return { path, action: existing === undefined ? "created" : "extended" };
}
