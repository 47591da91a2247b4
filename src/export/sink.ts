/** What one export did at its destination, the same for S3 and folders. */
export interface SinkResult {
  /** Files uploaded or written, and their bytes. */
  written: { files: number; bytes: number };
  /** Files already there with the same size and sha256, and their bytes. */
  skipped: { files: number; bytes: number };
  /** Folders only: symlinks (S3 has none; the loader makes them from the manifest). */
  links: { written: number; skipped: number };
  /** Paths (folders) or keys (S3) deleted: stale files of a previous export, or everything foreign with --prune. */
  deleted: string[];
  manifestAction: "written" | "unchanged";
}
