import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { create } from "tar";

/** Project entries never copied into the discovery container: our own work dir and VCS/dependency clutter. */
const SKIP = new Set([".mlpack", ".git", "node_modules"]);

/**
 * A tar of the project laid out under `workdir` (e.g. `var/task/...`), so it can be put at `/` in a created
 * container even when the workdir does not exist in the image. Also returns the absolute paths it contains,
 * so discovery can tell the project's own files from what the command wrote.
 */
export async function projectArchive(
  projectDir: string,
  workdir: string,
): Promise<{ stream: Readable; paths: Set<string> }> {
  const names = (await readdir(projectDir)).filter((n) => !SKIP.has(n)).sort();
  const paths = new Set<string>();
  const prefix = workdir.replace(/^\/+/, "").replace(/\/+$/, "");
  const parts = prefix.split("/");
  for (let i = 1; i <= parts.length; i++) paths.add(`/${parts.slice(0, i).join("/")}`);
  const walk = async (rel: string): Promise<void> => {
    paths.add(`/${prefix}/${rel}`);
    const st = await lstat(join(projectDir, rel));
    if (st.isDirectory())
      for (const child of await readdir(join(projectDir, rel))) await walk(`${rel}/${child}`);
  };
  for (const name of names) await walk(name);
  const stream = create(
    { cwd: projectDir, prefix, portable: true, follow: false },
    names.length > 0 ? names : [],
  );
  return { stream: stream as unknown as Readable, paths };
}
