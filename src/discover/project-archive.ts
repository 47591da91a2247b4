import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { create } from "tar";

/** Project entries never copied into the discovery container: our own work dir and VCS/dependency clutter. */
const SKIP = new Set([".mlpack", ".git", "node_modules"]);

export interface ProjectArchive {
  /** A tar of the project laid out under the workdir, or undefined when there is nothing to copy. */
  stream: Readable | undefined;
  /** Every absolute path the copy creates, the workdir and its parents included (not changes of the command). */
  paths: Set<string>;
  /** The project's own entries under the workdir (never part of an asset). */
  files: string[];
}

/**
 * A tar of the project laid out under `workdir` (e.g. `var/task/...`), so it can be put at `/` in a created
 * container even when the workdir does not exist in the image. Also returns the absolute paths it contains,
 * so discovery can tell the project's own files from what the command wrote.
 */
export async function projectArchive(projectDir: string, workdir: string): Promise<ProjectArchive> {
  const names = (await readdir(projectDir)).filter((n) => !SKIP.has(n)).sort();
  const paths = new Set<string>();
  const files: string[] = [];
  const prefix = workdir.replace(/^\/+/, "").replace(/\/+$/, "");
  const parts = prefix.split("/");
  for (let i = 1; i <= parts.length; i++) paths.add(`/${parts.slice(0, i).join("/")}`);
  const walk = async (rel: string): Promise<void> => {
    const path = `/${prefix}/${rel}`;
    paths.add(path);
    files.push(path);
    const st = await lstat(join(projectDir, rel));
    if (st.isDirectory())
      for (const child of await readdir(join(projectDir, rel))) await walk(`${rel}/${child}`);
  };
  for (const name of names) await walk(name);
  // node-tar refuses an empty list ("no paths specified to add to archive"); Docker creates the workdir itself.
  const stream =
    names.length === 0
      ? undefined
      : (create({ cwd: projectDir, prefix, portable: true, follow: false }, names) as unknown as Readable);
  return { stream, paths, files };
}
