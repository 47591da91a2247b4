import { posix } from "node:path";

/**
 * Normalises a relative POSIX path from an archive or walk: returns undefined when it is absolute or climbs out
 * (`..`), so nothing can be written outside the destination.
 */
export function safeRelative(path: string): string | undefined {
  if (path.startsWith("/")) return undefined;
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) return undefined;
  return parts.join("/");
}

/**
 * Whether a symlink at `linkPath` (relative to a tree's root) pointing at `target` stays inside that tree.
 * Absolute targets never do: they would point into the host or the image, not the asset.
 */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target.startsWith("/") || target === "") return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== ".." && !resolved.startsWith("../");
}
