import { createWriteStream, linkSync, mkdirSync, openSync, symlinkSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { safeRelative, symlinkStaysInside } from "../util/tree-paths.js";
import type { ExportFilter, ExportStats } from "./runner.js";

/**
 * Extracts a `docker cp`-style archive (its first path component is the exported directory's name) into `dest`,
 * treating the archive as hostile: no absolute or `..` paths, nothing written through a symlink, symlinks kept
 * only when they stay inside the tree, hard links only to files already extracted, no devices or FIFOs.
 */
export async function extractTree(
  archive: Readable,
  dest: string,
  filter: ExportFilter,
): Promise<ExportStats> {
  const stats: ExportStats = { files: 0, bytes: 0, skipped: [] };
  const dirs = new Set<string>([""]);
  const files = new Set<string>();
  const others = new Set<string>();
  const pending: Promise<void>[] = [];
  await mkdir(dest, { recursive: true });

  const skip = (entry: ReadEntry, path: string, reason: string, unsafe = true) => {
    stats.skipped.push({ path, reason, unsafe });
    entry.resume();
  };

  let failure: unknown;
  const onEntry = (entry: ReadEntry): void => {
    const stripped = entry.path.split("/").slice(1).join("/");
    const rel = safeRelative(stripped);
    if (rel === undefined) {
      skip(entry, entry.path, "path escapes the exported directory");
      return;
    }
    if (rel === "") {
      entry.resume();
      return;
    }
    const reason = filter(rel);
    if (reason) {
      skip(entry, rel, reason, false);
      return;
    }
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    if (!dirs.has(parent)) {
      skip(entry, rel, "parent is not a directory in the archive");
      return;
    }
    if (dirs.has(rel) || files.has(rel) || others.has(rel)) {
      skip(entry, rel, "duplicate entry in the archive");
      return;
    }
    const target = join(dest, rel);
    // Synchronous creation keeps entries in archive order: a later hard link or child always finds its target.
    switch (entry.type) {
      case "Directory":
        dirs.add(rel);
        mkdirSync(target, { mode: 0o755 });
        entry.resume();
        return;
      case "File":
      case "OldFile":
      case "ContiguousFile": {
        files.add(rel);
        stats.files += 1;
        stats.bytes += entry.size;
        const fd = openSync(target, "wx", (entry.mode ?? 0o644) & 0o777);
        const out = createWriteStream("", { fd });
        entry.pipe(out);
        pending.push(finished(out));
        return;
      }
      case "SymbolicLink": {
        const to = entry.linkpath ?? "";
        if (!symlinkStaysInside(rel, to)) {
          skip(entry, rel, `symlink to ${to} leaves the asset`);
          return;
        }
        stats.files += 1;
        others.add(rel);
        symlinkSync(to, target);
        entry.resume();
        return;
      }
      case "Link": {
        const from = safeRelative((entry.linkpath ?? "").split("/").slice(1).join("/"));
        if (from === undefined || !files.has(from)) {
          skip(entry, rel, "hard link to a file outside the asset");
          return;
        }
        stats.files += 1;
        others.add(rel);
        linkSync(join(dest, from), target);
        entry.resume();
        return;
      }
      default: {
        skip(entry, rel, `${entry.type} entries are not packaged`);
        return;
      }
    }
  };
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      try {
        onEntry(entry);
      } catch (error) {
        failure ??= error;
        entry.resume();
      }
    },
  });
  archive.pipe(parser);
  await finished(parser as unknown as NodeJS.WritableStream);
  await Promise.all(pending);
  if (failure) throw failure;
  return stats;
}

/** Counts files and bytes in an archive stream without writing anything. */
export async function measureArchive(archive: Readable): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== "Directory") files += 1;
      bytes += entry.size;
      entry.resume();
    },
  });
  archive.pipe(parser);
  await finished(parser as unknown as NodeJS.WritableStream);
  return { files, bytes };
}
