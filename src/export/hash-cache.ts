import { readFile } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { workDir } from "../state/work-dir.js";
import { writeFileAtomic } from "../util/atomic-write.js";

/**
 * sha256 of files from earlier exports, keyed by what stat says about the file (size, mtime, ctime, inode), so
 * a re-export of unchanged assets reads no file content: the staged trees (namespace = asset id) and what an
 * export wrote into a folder (namespace = that folder). ctime cannot be set from user space, so a file
 * rewritten in place (even with its old mtime restored) gets a new key and is hashed again. Lives in
 * `.mlpack/export-hashes.json`; a missing or damaged cache only costs a re-hash (another machine exporting to
 * the same EFS hashes the files there once, and touches none that match).
 */
export class HashCache {
  private readonly next = new Map<string, Map<string, [string, string]>>();

  private constructor(
    private readonly path: string,
    private readonly previous: Record<string, Record<string, [string, string]>>,
  ) {}

  static async open(projectDir: string): Promise<HashCache> {
    const path = join(workDir(projectDir), "export-hashes.json");
    let previous: Record<string, Record<string, [string, string]>> = {};
    try {
      const raw = JSON.parse(await readFile(path, "utf8")) as { schemaVersion?: unknown; assets?: unknown };
      if (raw.schemaVersion === 1 && typeof raw.assets === "object" && raw.assets !== null) {
        previous = raw.assets as typeof previous;
      }
    } catch {
      // No cache yet, or an unreadable one: everything is hashed.
    }
    return new HashCache(path, previous);
  }

  /** The cached sha256 of `rel` in namespace `id`, when its stat key is unchanged. */
  get(id: string, rel: string, key: string): string | undefined {
    const hit = this.next.get(id)?.get(rel) ?? this.previous[id]?.[rel];
    if (!Array.isArray(hit) || hit[0] !== key || typeof hit[1] !== "string") return undefined;
    this.set(id, rel, key, hit[1]);
    return hit[1];
  }

  set(id: string, rel: string, key: string, sha256: string): void {
    let files = this.next.get(id);
    if (!files) this.next.set(id, (files = new Map()));
    files.set(rel, [key, sha256]);
  }

  /** Writes what this run hashed or confirmed; entries of files this run did not see are dropped. */
  async save(): Promise<void> {
    const assets: Record<string, Record<string, [string, string]>> = {};
    // Folders this run did not export to keep their entries: another export may go there next.
    for (const [id, files] of Object.entries(this.previous)) if (id.startsWith("/") && !this.next.has(id)) assets[id] = files;
    for (const [id, files] of this.next) assets[id] = Object.fromEntries(files);
    await writeFileAtomic(this.path, `${JSON.stringify({ schemaVersion: 1, assets })}\n`, {
      action: "saving the export hash cache",
    });
  }
}

/** What identifies a file's content version without reading it. */
export function statKey(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
}
